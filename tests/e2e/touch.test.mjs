// Phones and tablets, and text through the browser: in headless Chromium with a
// phone's viewport and touch emulation (390 x 844 CSS px, pixel ratio 3), taps,
// swipes, flings, long presses and pinches reach the right widgets through the
// page's input queue (web/platform/input.h); text goes through the page's
// textarea, from the keyboard and from an input method (DevTools protocol).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, withPage, frames } from './harness.mjs';

const env = setup();
const phone = { width: 390, height: 844, scale: 3, touch: true };

const config = (page) => page.evaluate(() => playground.getConfig());
const layout = (page) => page.evaluate(() => playground.layout());
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const settle = async (page) => { await frames(page); await frames(page); };
const centre = (b) => [b.x + b.w / 2, b.y + b.h / 2];
// On a phone the controls scroll in a child under their fold button.
const controlsWindow = (l) => l.windows.find((w) => w.name.startsWith('Attention Playground/controls'));
// Waits until every character of the texts is in ImGui's atlas (fonts are fetched when a text first needs them).
async function glyphsDrawn(page) {
  for (let i = 0; i < 100; ++i) {
    const missing = (await layout(page)).missingGlyphs;
    if (missing.length === 0) return;
    await frames(page);
  }
  assert.fail(`characters still without a glyph: ${JSON.stringify((await layout(page)).missingGlyphs)}`);
}

// One finger from `from` to `to` through the DevTools protocol: a move every 16 ms, then `holdMs` still, then up.
async function drag(cdp, from, to, { steps = 6, holdMs = 0 } = {}) {
  const at = (x, y) => ({ type: 'touchMove', touchPoints: [{ x, y, id: 1 }] });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: from[0], y: from[1], id: 1 }] });
  for (let i = 1; i <= steps; ++i) {
    await cdp.send('Input.dispatchTouchEvent', at(from[0] + (to[0] - from[0]) * i / steps, from[1] + (to[1] - from[1]) * i / steps));
    if (i < steps || holdMs) await sleep(16);
  }
  if (holdMs) await sleep(holdMs);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

// Swipes the controls up (content moves up) until the field is wholly inside their window; returns its box.
async function reveal(page, cdp, name) {
  for (let i = 0; i < 12; ++i) {
    const l = await layout(page), w = controlsWindow(l), f = l.controls.fields[name];
    assert.ok(f, `the controls draw ${name}`);
    if (f.item.y >= w.y + 4 && f.item.y + f.item.h <= w.y + w.h - 4) return f;
    const x = w.x + w.w * 0.8, down = f.item.y < w.y;
    await drag(cdp, [x, w.y + w.h * (down ? 0.3 : 0.7)], [x, w.y + w.h * (down ? 0.6 : 0.4)], { holdMs: 120 });
    await settle(page);
  }
  assert.fail(`${name} never came into view`);
}

test('quick taps toggle a checkbox and press + and - once each, on targets 40 px tall', async () => {
  await withPage(env, async (page, context) => {
    const cdp = await context.newCDPSession(page);
    const causal = (await reveal(page, cdp, 'causal')).item;
    assert.ok(causal.h >= 40, `the checkbox is ${causal.h} px tall`);
    const before = (await config(page)).causal;
    await page.touchscreen.tap(causal.x + causal.h / 2, causal.y + causal.h / 2);  // down and up in one go
    await settle(page);
    assert.equal((await config(page)).causal, !before, 'one quick tap toggled causal');
    await page.touchscreen.tap(causal.x + causal.h / 2, causal.y + causal.h / 2);
    await settle(page);
    assert.equal((await config(page)).causal, before, 'a second tap toggled it back');

    const kv = (await reveal(page, cdp, 'n_kv_heads')).item;
    const plus = [kv.x + kv.w - kv.h / 2, kv.y + kv.h / 2], minus = [kv.x + kv.w - kv.h * 1.5 - 2, kv.y + kv.h / 2];
    const start = (await config(page)).n_kv_heads;
    await page.touchscreen.tap(...plus);
    await settle(page);
    assert.equal((await config(page)).n_kv_heads, start + 1, 'a tap on + adds one step, not two');
    await page.touchscreen.tap(...plus);
    await settle(page);
    assert.equal((await config(page)).n_kv_heads, start + 2);
    await page.touchscreen.tap(...minus);
    await settle(page);
    assert.equal((await config(page)).n_kv_heads, start + 1, 'a tap on - takes one step back');

    const tabs = (await layout(page)).tabs;
    for (const [key, b] of Object.entries(tabs)) assert.ok(b.h >= 40, `the ${key} tab is ${b.h} px tall`);
    const shown = await page.evaluate(() => playground.panel());
    const target = Object.keys(tabs).find((k) => k !== shown && tabs[k].x >= 0 && tabs[k].x + tabs[k].w <= phone.width);
    await page.touchscreen.tap(...centre(tabs[target]));
    await settle(page);
    assert.equal(await page.evaluate(() => playground.panel()), target, `a tap on the ${target} tab opens it: ${JSON.stringify(tabs)}`);

    // The controls fold to one line and give the views the room; a second tap brings them back.
    const views = async () => (await layout(page)).windows.find((w) => w.name === 'Views');
    const open = await views();
    await page.touchscreen.tap(...centre((await layout(page)).widgets['controls-fold']));
    await settle(page);
    const folded = await views();
    assert.ok(folded.y < 90 && folded.h > open.h + 200, `folded, the views start at ${folded.y} px (${open.y} open)`);
    assert.deepEqual(Object.keys((await layout(page)).controls.fields), [], 'no control is drawn while folded');
    await page.screenshot({ path: `${env.shots}/touch-390x844-folded.png` });
    await page.touchscreen.tap(...centre((await layout(page)).widgets['controls-fold']));
    await settle(page);
    assert.equal((await views()).y, open.y, 'unfolded again');
    assert.ok('causal' in (await layout(page)).controls.fields);
  }, phone);
});

test('a swipe scrolls the controls both ways without pressing what it starts on', async () => {
  await withPage(env, async (page, context) => {
    const cdp = await context.newCDPSession(page);
    const c0 = await config(page), l0 = await layout(page), w = controlsWindow(l0);
    assert.equal(l0.controls.scrollY, 0);
    assert.ok(l0.controls.scrollMaxY > 200, 'the controls are taller than their window on a phone');
    // Start on the number box of d_model: the swipe must scroll, not open it (no keyboard) nor step it.
    const box = l0.controls.fields.d_model.item;
    assert.ok(box.y + box.h < w.y + w.h, 'd_model is on the first screen');
    const from = [box.x + box.w / 4, box.y + box.h / 2];
    await drag(cdp, from, [from[0], from[1] - 150], { holdMs: 150 });
    await settle(page);
    const l1 = await layout(page);
    assert.ok(Math.abs(l1.controls.scrollY - 150) < 30, `the controls followed the finger: scrolled ${l1.controls.scrollY} of 150 px`);
    assert.deepEqual(await config(page), c0, 'the swipe pressed nothing');
    assert.notEqual(await page.evaluate(() => document.activeElement && document.activeElement.id), 'text-entry',
      'the field it started on did not take the keyboard');
    // A swipe back down scrolls back. (Flings are tested natively, tests/platform/test_input.cpp: here a phone's
    // frame takes ~200 ms in software GL, and Chromium hands touch events over once a frame, so no finger is fast.)
    await drag(cdp, [w.x + w.w * 0.7, w.y + w.h * 0.3], [w.x + w.w * 0.7, w.y + w.h * 0.3 + 100], { holdMs: 150 });
    await settle(page);
    const back = (await layout(page)).controls.scrollY;
    assert.ok(Math.abs(l1.controls.scrollY - 100 - back) < 30, `a swipe down scrolled back ${l1.controls.scrollY - back} of 100 px`);
    // A field below the fold is revealed by swiping and then answers a tap.
    const scale = (await reveal(page, cdp, 'scale')).item;
    assert.ok(l0.controls.fields.scale.item.y > w.y + w.h, 'scale sat below the first screen');
    assert.deepEqual(await config(page), c0, 'no swipe pressed anything');
    await page.touchscreen.tap(scale.x + scale.w - scale.h / 2, scale.y + scale.h / 2);
    await settle(page);
    assert.equal((await config(page)).scale, c0.scale + 0.01, 'a tap on its + stepped it');
  }, phone);
});

test('a tap on a heatmap cell shows its tooltip, a tap elsewhere hides it, and a pinch zooms the map', async () => {
  await withPage(env, async (page, context) => {
    const cdp = await context.newCDPSession(page);
    await page.evaluate(() => playground.setConfig({ text: Array.from({ length: 64 }, (_, i) => 'w' + i).join(' ') }));
    await settle(page);
    let map = (await layout(page)).heatmaps.find((m) => m.focus);
    assert.ok(map, 'the heads tab shows the large map');
    const n = (await page.evaluate(() => playground.tokens())).length;
    assert.equal(n, 64);
    // The cell in row 40, column 10.
    const cell = [map.x + (10.5 / n) * map.w, map.y + (40.5 / n) * map.h];
    await page.touchscreen.tap(...cell);
    await settle(page);
    let l = await layout(page);
    map = l.heatmaps.find((m) => m.focus);
    assert.deepEqual(map.hover, [40, 10], 'the tapped cell is the one whose tooltip shows');
    assert.ok(l.tooltip && l.tooltip.w > 50, 'its tooltip is open');
    await page.screenshot({ path: `${env.shots}/touch-390x844-tooltip.png` });
    await page.touchscreen.tap(5, l.windows.find((w) => w.name === 'Views').y + 5);
    await settle(page);
    assert.equal((await layout(page)).tooltip, null, 'a tap elsewhere dismissed it');

    // Two fingers spread over the map: it zooms about their middle.
    const mid = [map.x + map.w / 2, map.y + map.h / 2];
    const fingers = (d) => [{ x: mid[0] - d, y: mid[1], id: 1 }, { x: mid[0] + d, y: mid[1], id: 2 }];
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: fingers(20) });
    for (let d = 30; d <= 80; d += 10) {
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: fingers(d) });
      await sleep(16);
    }
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await settle(page);
    map = (await layout(page)).heatmaps.find((m) => m.focus);
    assert.ok(Math.abs(map.zoom - 4) < 0.3, `two fingers from 40 to 160 px apart zoomed the map by ${map.zoom}, not 4`);
    await page.screenshot({ path: `${env.shots}/touch-390x844-zoomed.png` });
    // A long press on the zoomed map hovers its cell (and a tap's click does not toggle anything).
    const c0 = await config(page);
    await drag(cdp, [map.x + map.w / 2, map.y + map.h / 2], [map.x + map.w / 2 + 1, map.y + map.h / 2], { steps: 1, holdMs: 700 });
    await settle(page);
    l = await layout(page);
    assert.ok(l.heatmaps.find((m) => m.focus).hover, 'a long press hovers a cell');
    assert.deepEqual(await config(page), c0);
  }, phone);
});

test('tapping the sentence focuses a textarea; typing and an input method change the sentence', async () => {
  await withPage(env, async (page, context) => {
    const cdp = await context.newCDPSession(page);
    const text = await reveal(page, cdp, 'text');
    await page.touchscreen.tap(text.x + text.w / 2, text.y + text.h / 2);
    await settle(page);
    await settle(page);
    assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'text-entry',
      'the page\'s textarea has the focus (a phone opens its keyboard for it)');
    const start = (await config(page)).text;
    await page.keyboard.type(' and more', { delay: 30 });
    await settle(page);
    assert.equal((await config(page)).text, start + ' and more');
    // An input method: a composition shown, then committed whole.
    await cdp.send('Input.imeSetComposition', { text: 'ni', selectionStart: 2, selectionEnd: 2 });
    await settle(page);
    assert.equal((await config(page)).text, start + ' and more', 'nothing is applied while composing');
    await page.screenshot({ path: `${env.shots}/touch-390x844-composing.png` });
    await cdp.send('Input.insertText', { text: ' 你好' });
    await settle(page);
    await cdp.send('Input.insertText', { text: ' 안녕 🙂' });
    await settle(page);
    const c = await config(page);
    assert.equal(c.text, start + ' and more 你好 안녕 🙂');
    const tokens = await page.evaluate(() => playground.tokens());
    // The words tokenizer splits Han characters one by one (no spaces mark Chinese words).
    assert.ok(tokens.includes('你') && tokens.includes('好') && tokens.includes('안녕') && tokens.includes('🙂'), tokens.join('|'));
    // Select all and delete through the textarea: the field follows.
    await page.keyboard.press('Control+A');
    await page.keyboard.type('short');
    await settle(page);
    assert.equal((await config(page)).text, 'short');
    // Paste and undo are the browser's own editing commands on the textarea (as a phone's menu or Ctrl+V
    // and Ctrl+Z give them); the field follows each.
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.evaluate(() => navigator.clipboard.writeText(' 和 pasted'));
    const command = async (key, name) => {
      for (const type of ['rawKeyDown', 'keyUp'])
        await cdp.send('Input.dispatchKeyEvent', { type, key, code: 'Key' + key.toUpperCase(), modifiers: 2,
          windowsVirtualKeyCode: key.toUpperCase().charCodeAt(0), commands: type === 'keyUp' ? [] : [name] });
      await settle(page);
    };
    await command('v', 'paste');
    assert.equal((await config(page)).text, 'short 和 pasted', 'pasted at the caret');
    await command('z', 'undo');
    assert.equal((await config(page)).text, 'short', 'undo takes the paste back');
    // A tap outside the field lets it go, and the textarea with it.
    const l = await layout(page);
    await page.touchscreen.tap(5, l.windows.find((w) => w.name === 'Views').y + 5);
    await settle(page);
    assert.notEqual(await page.evaluate(() => document.activeElement && document.activeElement.id), 'text-entry');
  }, phone);
});

test('every tab at 320x640, 390x844, 844x390 and 768x1024 with touch: nothing is cut off sideways', async () => {
  const cut = [];
  // (1280 x 800 and the other desks: desk.test.mjs.)
  for (const [width, height] of [[320, 640], [390, 844], [844, 390], [768, 1024]])
    await withPage(env, async (page) => {
      // Chinese, Korean and an emoji among the tokens, as learners type them.
      assert.equal((await page.evaluate(() => playground.setConfig({ text: 'The cat 你好 안녕 🙂 sat' }))).ok, true);
      await glyphsDrawn(page);  // no ? in the screenshots
      for (const panel of await page.evaluate(() => playground.panels())) {
        await page.evaluate((k) => playground.openPanel(k), panel);
        await settle(page);
        const { windows } = await layout(page);
        for (const w of windows) {
          const main = w.name === 'Views' || w.name === 'Attention Playground';
          if (w.scrollsX && !main) continue;  // a table that scrolls sideways on purpose
          if (w.contentW > w.visibleW + 1)
            cut.push(`${width}x${height} ${panel}: "${w.name}" has content ${w.contentW.toFixed(0)} px wide in ${w.visibleW.toFixed(0)} px`);
        }
        // Looked at by a person; the narrowest phone and the landscape one for every tab, the others for Heads.
        if (panel === 'heads' || width === 320 || height === 390) await page.screenshot({ path: `${env.shots}/touch-${width}x${height}-${panel}.png` });
      }
    }, { width, height, scale: 2, touch: true });
  assert.deepEqual(cut, []);
});

test('fonts come only when a text needs them, and every script with a font here is drawn', async () => {
  await withPage(env, async (page) => {
    const fetched = [];
    page.on('request', (r) => { if (r.url().includes('/fonts/')) fetched.push(r.url().split('/').pop()); });
    await settle(page);
    assert.deepEqual(fetched, [], 'the first load fetches no font');
    assert.equal((await page.evaluate(() => playground.setConfig({ text: 'hello שלום 你好 Tiếng Việt' }))).ok, true);
    await glyphsDrawn(page);
    assert.deepEqual(fetched.sort(), ['DejaVuSans.ttf', 'DroidSansFallbackFull.ttf'],
      'the CJK font for 你好 and the whole UI font for Vietnamese (Hebrew is in its embedded cut)');
    // One word of each script a fetched font draws, and Mongolian, which no font here has.
    const words = '안녕 🙂 नमस्ते தமிழ் สวัสดี తెలుగు ಕನ್ನಡ ខ្មែរ ሰላም ქართ မြန်မာ བོད ᠮᠣᠩᠭᠣᠯ';
    assert.equal((await page.evaluate((text) => playground.setConfig({ text }), words)).ok, true);
    const all = ['DejaVuSans.ttf', 'DroidSansFallbackFull.ttf', 'FreeSans.ttf', 'FreeSerif.ttf', 'KhmerOS.ttf', 'Lohit-Kannada.ttf',
      'Lohit-Telugu.ttf', 'NanumSquareR.ttf', 'Padauk-Regular.ttf', 'Symbola_hint.ttf', 'TibetanMachineUni.ttf'];
    for (let i = 0; i < 100 && fetched.length < all.length; ++i) await frames(page);
    assert.deepEqual(fetched.sort(), all);
    // Once the fonts are merged, only Mongolian is missing, and the page says so beside the tokens.
    const mongolian = (cp) => cp >= 0x1800 && cp <= 0x18af;
    let missing = [];
    for (let i = 0; i < 100; ++i) {
      missing = (await layout(page)).missingGlyphs;
      if (missing.every(mongolian)) break;
      await frames(page);
    }
    assert.ok(missing.length > 0 && missing.every(mongolian), JSON.stringify(missing));
    await page.screenshot({ path: `${env.shots}/touch-390x844-scripts.png` });
  }, phone);
});
