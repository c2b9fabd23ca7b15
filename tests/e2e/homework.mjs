// A learner's homework done outside the page, as a learner does it: the
// page's "inputs (.npz)" export, then tests/reference/homework_numpy.py
// (NumPy, sharing nothing with the core) writes each tensor, right and with
// each usual mistake. Returns file(name) -> the bytes of <target>-<mistake>.npy.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const script = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'reference', 'homework_numpy.py');

export async function learnerHomework(page, dtype = 'float32') {
  const { npz, sizes } = await page.evaluate(() => {
    const c = playground.getConfig(), q = playground.tensor('q'), k = playground.tensor('k');
    const dHead = q.shape[2];
    return {
      npz: Array.from(playground.exportFile('homework').data),
      sizes: { n_heads: q.shape[0], n_kv_heads: k.shape[0], d_head: dHead, dropout: c.dropout,
               scale: Math.fround((c.scale || 1 / Math.sqrt(dHead)) / c.temperature), fully_masked: c.fully_masked },
    };
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-homework-'));
  fs.writeFileSync(path.join(dir, 'inputs.npz'), Buffer.from(npz));
  const r = spawnSync('/usr/bin/python3', [script, path.join(dir, 'inputs.npz'), dir, JSON.stringify(Object.assign({ dtype }, sizes))],
                      { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('homework_numpy.py failed: ' + r.stderr);
  const files = {};
  for (const f of fs.readdirSync(dir)) if (f.endsWith('.npy')) files[f.slice(0, -4)] = Array.from(fs.readFileSync(path.join(dir, f)));
  fs.rmSync(dir, { recursive: true });
  return files;  // name -> bytes as a plain array (page.evaluate carries it)
}
