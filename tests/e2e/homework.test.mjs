// "Check my homework" in the page: NumPy homework (tests/reference/homework_numpy.py) from the page's own
// exported inputs, dropped on the page or picked with a tap on a phone; right results are right and each usual
// mistake is named; a broken file is refused and the held one kept; a lesson step is done by the right file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, withPage, frames } from './harness.mjs';
import { learnerHomework } from './homework.mjs';

const env = setup();
const settle = async (page) => {
  await page.evaluate(() => playground.settled());
  await frames(page);
};
const check = (page, bytes, target = '') =>
  page.evaluate(([b, t]) => playground.checkHomework(new Uint8Array(b), t), [bytes, target]);
const drop = ([name, bytes]) => {
  const dt = new DataTransfer();
  dt.items.add(new File([new Uint8Array(bytes)], name));
  window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
};

test('NumPy homework: right results are right and every usual mistake is named; a dropped file is checked', async () => {
  await withPage(env, async (page) => {
    // Causal, padded and with dropout: every mistake has something to change.
    await page.evaluate(() => playground.setConfig({ causal: true, pad_to: 14, dropout: 0.1, n_heads: 4, n_kv_heads: 2 }));
    await settle(page);
    const files = await learnerHomework(page);
    let named = 0;
    for (const [name, bytes] of Object.entries(files)) {
      const [target, mistake] = name.split('-');
      const r = await check(page, bytes);  // no target: found from the shape
      if (mistake === 'right' || mistake === 'batched') {
        assert.equal(r.correct, true, `${name}: ${r.verdict}`);
        assert.equal(r.target, target);
        assert.ok(r.maxAbs < 1e-5, `${name}: NumPy float32 is ${r.maxAbs} from the page`);
        continue;
      }
      assert.equal(r.correct, false, `${name} is not right`);
      // The transpose of square weights is found from its values, of the output from its shape.
      assert.equal(r.mistake, mistake, `${name}: ${r.verdict}`);
      assert.equal(r.target, target, name);
      ++named;
    }
    assert.ok(named >= 25, `${named} mistakes named`);

    // Dropped on the page: the "Check my homework" section opens with the verdict.
    await page.evaluate(drop, ['output.npy', files['output-mask_after_softmax']]);
    await page.waitForFunction(() => playground.homework().file === 'output.npy');
    const report = await page.evaluate(() => playground.homework());
    assert.equal(report.mistake, 'mask_after_softmax');
    assert.match(report.verdict, /^Not yet: your output is what the mask applied after the softmax gives/);
    await frames(page);
    // The controls scrolled to the section: its button is in view.
    const l = await page.evaluate(() => playground.layout());
    const controls = l.windows.find((w) => w.name === 'Attention Playground'), button = l.widgets['homework-check'];
    assert.ok(button && button.y >= controls.y && button.y + button.h <= controls.y + controls.h, 'the report is in view');
    await page.screenshot({ path: `${env.shots}/homework-dropped.png` });

    // A broken file: said in one sentence, the held one kept.
    await page.evaluate(drop, ['mine.npy', [1, 2, 3]]);
    await page.waitForFunction(() => playground.notes().some((n) => n.startsWith('mine.npy: ')));
    const kept = await page.evaluate(() => playground.homework());
    assert.equal(kept.file, 'output.npy');
    assert.equal(kept.mistake, 'mask_after_softmax');

    // A new state re-checks the held file: without dropout it matches no mistake of this state.
    await page.evaluate(() => playground.setConfig({ dropout: 0 }));
    await settle(page);
    const again = await page.evaluate(() => playground.homework());
    assert.equal(again.checked, true);
    assert.equal(again.correct, false);
    assert.notEqual(again.verdict, report.verdict);
  });
});

test('on a phone, a lesson\'s homework step: tap "check an .npy…", pick the file, the step is done', async () => {
  await withPage(env, async (page) => {
    await page.evaluate(() => playground.openLesson('your-code', 1));
    await settle(page);
    assert.equal(await page.evaluate(() => playground.getConfig().causal), true, 'the step starts causal');
    const files = await learnerHomework(page);
    const pick = async (name, bytes) => {
      const w = (await page.evaluate(() => playground.layout())).widgets['homework-check'];
      assert.ok(w && w.h >= 40, 'the "check an .npy…" button is a finger\'s size');
      const chooser = page.waitForEvent('filechooser');
      await page.touchscreen.tap(w.x + w.w / 2, w.y + w.h / 2);
      await (await chooser).setFiles({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
      await page.waitForFunction((n) => playground.homework().file === n, name);
      await frames(page);
    };
    // The weights without the mask: named, and the step says so.
    await pick('weights.npy', files['weights-no_mask']);
    let s = await page.evaluate(() => playground.lessonState());
    assert.equal(s.steps[1].done, false);
    assert.match(s.feedback, /no mask at all/);
    await page.screenshot({ path: `${env.shots}/homework-lesson-phone.png` });
    await pick('weights2.npy', files['weights-right']);
    await page.waitForFunction(() => playground.lessonState().steps[1].done);
    await frames(page);
    await page.screenshot({ path: `${env.shots}/homework-lesson-done-phone.png` });
  }, { width: 390, height: 844, scale: 3, touch: true });
});
