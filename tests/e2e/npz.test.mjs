// End-to-end: what NumPy writes imports in the page. An np.savez_compressed
// archive of the Train tab's weights (re-saved by Debian's NumPy in Fortran
// order and big-endian) loads back the model it came from; a Fortran-order
// big-endian x.npy imports like the page's own export; a damaged archive is
// refused and changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setup, trainSteps as train, withPage as openWith } from './harness.mjs';

const env = setup();
const withPage = (fn, options) => openWith(env, fn, options);
const py = (code, ...args) => execFileSync('/usr/bin/python3', ['-c', code, ...args], { encoding: 'utf8' });
let tmp;
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-npz-')); });
after(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

const state = (page) => page.evaluate(() => playground.train.state());
const exported = (page, kind, name) => page.evaluate(([k, n]) => Array.from(playground.exportFile(k, n).data), [kind, name]);
const importFile = (page, role, file) =>
  page.evaluate(([r, b]) => playground.importNpy(r, new Uint8Array(b)), [role, Array.from(fs.readFileSync(file))]);


test('an np.savez_compressed archive of the weights, Fortran order and big-endian, loads the model back', async () => {
  await withPage(async (page) => {
    await page.evaluate(() => playground.openPanel('train'));
    await page.evaluate(() => playground.train.settings({ task: 'prev', seed: 5 }));
    const start = await state(page);
    const plain = path.join(tmp, 'weights.npz'), packed = path.join(tmp, 'weights_compressed.npz');
    fs.writeFileSync(plain, Buffer.from(await exported(page, 'weights')));
    const report = py(`
import sys, zipfile, numpy as np
z = np.load(sys.argv[1])
np.savez_compressed(sys.argv[2], **{k: np.asfortranarray(z[k]).astype(">f8") for k in z.files})
infos = zipfile.ZipFile(sys.argv[2]).infolist()
print(len(infos), all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos),
      any(np.load(sys.argv[2])[k].flags.f_contiguous and np.load(sys.argv[2])[k].ndim == 2 and
          min(np.load(sys.argv[2])[k].shape) > 1 for k in z.files))
`, plain, packed).trim();
    assert.match(report, /^\d+ True True$/, 'NumPy wrote deflated entries, some of them in Fortran order');
    const trained = await train(page, 30);
    assert.notEqual(trained.eval.loss, start.eval.loss);
    const r = await importFile(page, 'npz', packed);
    assert.deepEqual(r, { ok: true, error: '' });
    const loaded = await state(page);
    assert.ok(Math.abs(loaded.eval.loss - start.eval.loss) < 1e-12, `${loaded.eval.loss} vs ${start.eval.loss}`);

    // One flipped bit in the compressed data: refused, and the model stays as it is.
    const bytes = fs.readFileSync(packed);
    bytes[80] ^= 0x10;  // inside the first entry's deflate stream
    fs.writeFileSync(path.join(tmp, 'damaged.npz'), bytes);
    const bad = await importFile(page, 'npz', path.join(tmp, 'damaged.npz'));
    assert.equal(bad.ok, false);
    assert.match(bad.error, /^weights \.npz: '[^']+\.npy'(?: is damaged|: it)/);
    assert.equal((await state(page)).eval.loss, start.eval.loss);
  });
});

test('a Fortran-order big-endian x.npy imports like the page\'s own C-order export', async () => {
  await withPage(async (page) => {
    const before = await page.evaluate(() => Array.from(playground.tensor('weights', 0).data));
    fs.writeFileSync(path.join(tmp, 'x_in.npy'), Buffer.from(await exported(page, 'npy', 'x')));
    py(`import sys, numpy as np; np.save(sys.argv[2], np.asfortranarray(np.load(sys.argv[1]).astype(">f4")))`,
       path.join(tmp, 'x_in.npy'), path.join(tmp, 'x.npy'));
    const header = fs.readFileSync(path.join(tmp, 'x.npy')).subarray(0, 128).toString('latin1');
    assert.match(header, /'descr': '>f4', 'fortran_order': True/);
    assert.deepEqual(await importFile(page, 'x', path.join(tmp, 'x.npy')), { ok: true, error: '' });
    assert.deepEqual(await page.evaluate(() => Array.from(playground.tensor('weights', 0).data)), before);
    // Doubled, the same file changes the weights: the import was not ignored.
    py(`import sys, numpy as np; np.save(sys.argv[2], np.asfortranarray(2 * np.load(sys.argv[1]).astype(">f4")))`,
       path.join(tmp, 'x_in.npy'), path.join(tmp, 'x2.npy'));
    assert.deepEqual(await importFile(page, 'x', path.join(tmp, 'x2.npy')), { ok: true, error: '' });
    await page.waitForFunction((b) => playground.tensor('weights', 0).data[1] !== b, before[1]);
  });
});
