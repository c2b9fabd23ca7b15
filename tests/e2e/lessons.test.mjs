// Lessons in the page: every built-in lesson solved through the JS API with
// answers worked out here from the page's tensors (homework in NumPy from its exported inputs; a wrong one refused
// first), one solved by clicks and typing on the canvas, progress kept over
// a reload, a teacher's lesson opened and malformed ones refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setup, withPage, frames, click } from './harness.mjs';
import { learnerHomework } from './homework.mjs';

const env = setup();
const lessonsDir = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'web', 'lessons');
const files = fs.readdirSync(lessonsDir).filter((f) => f.endsWith('.json')).sort();
const lessons = files.map((f) => JSON.parse(fs.readFileSync(path.join(lessonsDir, f), 'utf8')));

const state = (page) => page.evaluate(() => playground.lessonState());
const layout = (page) => page.evaluate(() => playground.layout());
const centre = (b) => [b.x + b.w / 2, b.y + b.h / 2];
async function settle(page) {
  await page.evaluate(() => playground.settled());
  await frames(page);
}

// In the page: a right and a wrong answer to a step, worked out from the tensors the page exports.
function solveInPage(check) {
  const cfg = playground.getConfig(), tokens = playground.tokens(), keys = playground.tokens('keys');
  const t = (name, head) => playground.tensor(name, head);
  const q = t('q'), k = t('k');  // [heads, n, d_head]
  const [h, n, d] = q.shape, m = k.shape[1];
  const dot = (head, i, j) => {
    let s = 0;
    for (let c = 0; c < d; ++c) s += q.data[(head * n + i) * d + c] * k.data[(head * m + j) * d + c];
    return s;
  };
  const scale = (cfg.scale || 1 / Math.sqrt(d)) / cfg.temperature;
  const allowed = t('mask');  // [n, m], 1 = may attend
  const weights = t('weights');
  const index = (list, v) => (typeof v === 'string' ? list.indexOf(v) : v);
  if (check.enter) {
    const e = check.enter, head = e.head === undefined ? playground.layout().focus : e.head;
    const i = index(tokens, e.row), j = index(keys, e.col);
    let x;
    if (e.of === 'score') x = dot(head, i, j);
    else if (e.of === 'scaled_score') x = dot(head, i, j) * scale;
    else if (e.of === 'weight') {
      let sum = 0, mine = 0;
      for (let c = 0; c < m; ++c) {
        if (!allowed.data[i * m + c]) continue;
        const v = Math.exp(dot(head, i, c) * scale);
        sum += v;
        if (c === j) mine = v;
      }
      x = mine / sum;
    } else if (e.of === 'dropout_scale') x = 1 / (1 - cfg.dropout);
    else if (e.of === 'score_bytes') x = 4 * h * (e.times * n) * (e.times * m);
    else throw new Error('no worked-out answer for ' + e.of);
    return [x, x + 10 * check.tolerance + 1];
  }
  if (check.shape_of) {
    const dm = t('q_proj').shape[1];
    const shapes = {
      q_proj: check.after_view ? [1, n, h, d] : [1, n, dm], q: [1, h, n, d], scores: [1, h, n, m],
      weights: [1, h, n, m], context: [1, h, n, d], concat: [1, n, dm],
    };
    const s = shapes[check.shape_of], wrong = s.slice();
    wrong[wrong.length - 1] += 1;
    return ['(' + s.join(', ') + ')', '(' + wrong.join(', ') + ')'];
  }
  if (check.pick_head) {
    const score = (head) => {
      let v = 0;
      for (let i = 0; i < n; ++i)
        for (let c = 0; c < m; ++c) {
          const p = weights.data[(head * n + i) * m + c];
          if (check.pick_head.of === 'behaviour') { if (c === i - 1) v += p; } else if (p > 0) v -= p * Math.log(p);
        }
      return v;
    };
    let best = 0;
    for (let head = 1; head < h; ++head)
      if (check.highest === false ? score(head) < score(best) : score(head) > score(best)) best = head;
    return [best, (best + 1) % h];
  }
  if (check.pick_cell === 'blocked') {
    for (let i = 0; i < n; ++i)
      for (let c = 0; c < m; ++c) if (!allowed.data[i * m + c]) return [[i, c], [i, i]];
  }
  if (check.choose) return [check.correct, (check.correct + 1) % check.choose.length];
  throw new Error('no worked-out answer for ' + JSON.stringify(check));
}

test('every built-in lesson is solved through the JS API, each answer step refusing a wrong answer first', async () => {
  await withPage(env, async (page) => {
    const listed = await page.evaluate(() => playground.lessons());
    assert.deepEqual(listed.map((l) => l.id), lessons.map((l) => l.id), 'the page lists the lessons of web/lessons');
    for (const lesson of lessons) {
      if (lesson.needs_model) {
        await assert.rejects(page.evaluate((id) => playground.openLesson(id), lesson.id), /needs a real model/);
        continue;
      }
      await page.evaluate((id) => playground.openLesson(id, 0), lesson.id);
      for (let i = 0; i < lesson.steps.length; ++i) {
        const where = `${lesson.id} step ${i}`;
        await page.evaluate((s) => playground.goToStep(s), i);
        await settle(page);
        const check = lesson.steps[i].check;
        if (check.homework) {  // the learner's NumPy, from the inputs the page exports: transposed, then right
          const files = await learnerHomework(page);
          const send = (name) => page.evaluate((b) => playground.checkHomework(new Uint8Array(b)), files[name]);
          assert.equal((await send(`${check.homework}-transposed`)).mistake, 'transposed', where);
          await frames(page);
          assert.equal((await state(page)).steps[i].done, false, `${where} refuses the transposed result`);
          assert.equal((await send(`${check.homework}-right`)).correct, true, where);
          await frames(page);
          assert.equal((await state(page)).steps[i].done, true, `${where} takes the right result`);
          continue;
        }
        if (check.config || check.measure) {
          assert.equal((await state(page)).steps[i].done, false, `${where} starts undone`);
          await page.evaluate(() => playground.showMe());
          await settle(page);
          assert.equal((await state(page)).steps[i].done, true, `${where}: show me sets what it asks for`);
          continue;
        }
        const [right, wrong] = await page.evaluate(solveInPage, check);
        const no = await page.evaluate((v) => playground.answer(v), wrong);
        assert.equal(no.correct, false, `${where} refuses ${JSON.stringify(wrong)}`);
        assert.ok(no.feedback.length > 0, `${where} says why`);
        const yes = await page.evaluate((v) => playground.answer(v), right);
        assert.equal(yes.correct, true, `${where} takes ${JSON.stringify(right)}: ${yes.feedback}`);
      }
      const s = await state(page);
      assert.equal(s.complete, true, lesson.id);
      assert.match(s.summary, new RegExp(`Steps done: ${lesson.steps.length} of ${lesson.steps.length}`));
    }
  });
});

test('the causal lesson by clicks and typing on the canvas; its progress survives a reload', async () => {
  await withPage(env, async (page) => {
    await page.evaluate(() => playground.openPanel('lessons'));
    await settle(page);
    await page.screenshot({ path: `${env.shots}/lessons-list.png` });
    await click(page, ...centre((await layout(page)).widgets['lesson-open-causal']));
    await settle(page);
    assert.equal((await state(page)).lesson, 'causal');
    // Step 1: the causal checkbox in the controls, scrolled into view with the wheel.
    const controls = (await layout(page)).windows.find((w) => w.name === 'Attention Playground');
    let causal = (await layout(page)).controls.fields.causal.item;
    for (let i = 0; i < 20 && causal.y + causal.h > controls.y + controls.h; ++i) {
      await page.mouse.move(controls.x + controls.w / 2, controls.y + controls.h / 2);
      await page.mouse.wheel(0, 120);
      await settle(page);
      causal = (await layout(page)).controls.fields.causal.item;
    }
    await click(page, causal.x + causal.h / 2, causal.y + causal.h / 2);
    await settle(page);
    assert.equal((await state(page)).steps[0].done, true, 'a click on causal did step 1');
    await page.screenshot({ path: `${env.shots}/lessons-step-done.png` });
    // The lesson opened the Heads tab; its step shows above it, with the way on.
    assert.equal(await page.evaluate(() => playground.panel()), 'heads');
    await click(page, ...centre((await layout(page)).widgets['lesson-strip-next']));
    await settle(page);
    // Step 2: a cell of the Heads map, a wrong one (the diagonal) first.
    const n = (await page.evaluate(() => playground.tokens())).length;
    // (read where the map is now: the strip above it grows with the feedback)
    const cell = async (r, c) => {
      const map = (await layout(page)).heatmaps.find((h) => h.focus);
      return [map.x + (c + 0.5) * map.w / n, map.y + (r + 0.5) * map.h / n];
    };
    await click(page, ...await cell(3, 3));
    await settle(page);
    const wrong = await state(page);
    assert.equal(wrong.steps[1].done, false);
    assert.match(wrong.feedback, /may see key/);
    await page.screenshot({ path: `${env.shots}/lessons-feedback.png` });
    await click(page, ...await cell(0, n - 1));
    await settle(page);
    assert.equal((await state(page)).steps[1].done, true, 'a click on a blocked cell did step 2');
    // Step 3: an option; step 4: a number typed into the lesson's field.
    await click(page, ...centre((await layout(page)).tabs.lessons));
    await settle(page);
    await click(page, ...centre((await layout(page)).widgets['lesson-next']));
    await settle(page);
    await click(page, ...centre((await layout(page)).widgets['lesson-option-0']));
    await settle(page);
    assert.equal((await state(page)).steps[2].done, true, 'the right option did step 3');
    await click(page, ...centre((await layout(page)).widgets['lesson-next']));
    await settle(page);
    await click(page, ...centre((await layout(page)).widgets['lesson-answer']));
    await settle(page);
    await page.keyboard.type('1');
    await page.keyboard.press('Enter');
    await settle(page);
    await settle(page);
    const done = await state(page);
    assert.equal(done.complete, true, JSON.stringify(done));
    await page.screenshot({ path: `${env.shots}/lessons-summary.png` });

    // A reload keeps the lesson open at its step, with every step done.
    await page.reload();
    await page.evaluate(() => playground.ready.then(() => true));
    const after = await state(page);
    assert.equal(after.lesson, 'causal');
    assert.equal(after.step, 3);
    assert.deepEqual(after.steps.map((s) => s.done), [true, true, true, true]);
    assert.equal((await page.evaluate(() => playground.lessons())).find((l) => l.id === 'causal').done, 4);
  });
});

test('a teacher\'s lesson opens from its JSON; malformed ones are refused with the field\'s path', async () => {
  await withPage(env, async (page) => {
    const mine = {
      format: 'attention-playground-lesson/1', id: 'mine', title: 'Two heads',
      start: { config: { n_heads: 4 } },
      steps: [{ text: 'Use <b>two</b> heads.', check: { config: { n_heads: 2 } } }],
    };
    const s = await page.evaluate((l) => playground.openLesson(l), mine);
    assert.equal(s.lesson, 'mine');
    assert.equal(s.steps[0].text, 'Use <b>two</b> heads.', 'the text stays text');
    assert.equal(s.steps[0].done, false);
    await page.evaluate(() => playground.setConfig({ n_heads: 2 }));
    await settle(page);
    assert.equal((await state(page)).steps[0].done, true);
    const bad = [
      [Object.assign({}, mine, { colour: 'red' }), /colour: unknown field/],
      [Object.assign({}, mine, { steps: [{ text: 'x', check: { enter: { of: 'weight' }, tolerance: 0.1 } }] }),
        /steps\[0\]\.check\.enter\.row: is required/],
      [Object.assign({}, mine, { steps: [{ text: 'x', check: { config: { n_heads: 'two' } } }] }),
        /steps\[0\]\.check\.config\.n_heads: n_heads must be a whole number/],
    ];
    for (const [lesson, error] of bad)
      await assert.rejects(page.evaluate((l) => playground.openLesson(l), lesson), error);
    assert.equal((await state(page)).lesson, 'mine', 'a refused lesson leaves the open one');
  });
});

test('a teacher\'s lesson from a dropped file, from a link that packs it, and from a URL on the site', async () => {
  const mine = {
    format: 'attention-playground-lesson/1', id: 'shared', title: 'Causal, shared',
    steps: [{ text: 'Turn causal on.', check: { config: { causal: true } } }, { text: 'Done?', check: { choose: ['yes', 'no'], correct: 0 } }],
  };
  const drop = ([name, text]) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], name));
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  };
  await withPage(env, async (page) => {
    // A malformed file is refused with a note that names the file and the field; nothing is lost.
    await page.evaluate(() => playground.openLesson('causal'));
    await page.evaluate(drop, ['broken.json', JSON.stringify(Object.assign({}, mine, { steps: [{ text: 'x' }] }))]);
    await page.waitForFunction(() => playground.notes().some((n) => n.startsWith('broken.json: ')));
    const note = (await page.evaluate(() => playground.notes())).find((n) => n.startsWith('broken.json'));
    assert.match(note, /steps\[0\]\.check: is required/);
    assert.equal((await state(page)).lesson, 'causal');
    await page.evaluate(drop, ['shared.json', JSON.stringify(mine)]);
    await page.waitForFunction(() => playground.lessonState().lesson === 'shared');
    assert.equal(await page.evaluate(() => playground.panel()), 'lessons');
    // The page's link packs it, so a learner who opens that link gets the same lesson at the same step.
    await page.evaluate(() => playground.nextStep());
    await frames(page);
    const link = await page.evaluate(() => playground.link());
    assert.match(link, /lesson_json=/);
    await withPage(env, async (other) => {
      const s = await state(other);
      assert.equal(s.lesson, 'shared');
      assert.equal(s.step, 1);
    }, { url: link });
  });
  // From a URL on the site (the page's connect-src), and one that is not there, said on the page.
  await withPage(env, async (page) => {
    await page.route('**/lessons/shared.json', (r) => r.fulfill({ contentType: 'application/json', body: JSON.stringify(mine) }));
    await page.evaluate(() => { location.hash = 'lesson_url=lessons/missing.json'; location.reload(); });
    // (waited for with a guard: before it is ready again, the API throws)
    await page.waitForFunction(() => { try { return playground.notes().some((n) => n.includes('could not be fetched')); } catch (e) { return false; } });
    await page.evaluate(() => { location.hash = 'lesson_url=lessons/shared.json'; location.reload(); });
    await page.waitForFunction(() => { try { return playground.lessonState().lesson === 'shared'; } catch (e) { return false; } });
  }, { serviceWorkers: 'block', allowErrors: true });
});
