// The page's input, linked with --post-js: pointer, wheel and key events on
// the canvas go to the app's input queue as they come (web/platform/input.h:
// it turns them into clicks, scrolls and zooms frame by frame), and text
// enters through one real <textarea>, focused while an ImGui text field is
// active, so a phone opens its keyboard, a desktop its input method, and
// paste, undo and selection are the browser's own (web/platform/feed.h).
(function () {
  if (typeof document === 'undefined') return;  // a worker of the threaded build: no page
  const canvas = Module.canvas;
  const DEVICES = { mouse: 0, touch: 1, pen: 2 };
  const POINTER = { down: 0, move: 1, up: 2, cancel: 3, leave: 4 };
  const BUTTONS = [0, 2, 1];  // DOM left, middle, right -> ImGui left, right, middle
  // Keys the textarea does not keep: ImGui acts on them (commit, revert, next field).
  const FIELD_KEYS = ['Enter', 'NumpadEnter', 'Escape', 'Tab'];

  const ready = () => typeof runtimeInitialized !== 'undefined' && runtimeInitialized;
  const ratio = () => window.devicePixelRatio || 1;
  function at(e) {
    const r = canvas.getBoundingClientRect(), s = ratio();
    return [(e.clientX - r.left) * s, (e.clientY - r.top) * s];
  }
  const withString = Module.apWithString;  // api.js, linked before this file
  let mods = 0;
  function sendMods(e) {
    const m = (e.ctrlKey ? 1 : 0) | (e.shiftKey ? 2 : 0) | (e.altKey ? 4 : 0) | (e.metaKey ? 8 : 0);
    if (m !== mods) { mods = m; _ap_input_mods(m); }
  }
  function key(code, down) { withString(code, (p) => _ap_input_key(p, down ? 1 : 0)); }

  // [SECTION] pointers and the wheel
  function pointer(type, e) {
    if (!ready()) return;
    sendMods(e);
    const xy = at(e);
    const device = e.pointerType in DEVICES ? DEVICES[e.pointerType] : 0;
    // performance.now(), the frames' clock (an event's timeStamp may count from elsewhere: DevTools' events do).
    _ap_input_pointer(type, device, e.pointerId, xy[0], xy[1], e.button >= 0 && e.button < 3 ? BUTTONS[e.button] : 0,
                      performance.now());
  }
  canvas.addEventListener('pointerdown', (e) => {
    try { canvas.setPointerCapture(e.pointerId); } catch (err) { /* the pointer is already gone */ }
    pointer(POINTER.down, e);
  });
  canvas.addEventListener('pointermove', (e) => pointer(POINTER.move, e));
  canvas.addEventListener('pointerup', (e) => pointer(POINTER.up, e));
  canvas.addEventListener('pointercancel', (e) => pointer(POINTER.cancel, e));
  canvas.addEventListener('pointerleave', (e) => { if (e.pointerType === 'mouse') pointer(POINTER.leave, e); });
  // The canvas takes no focus from the textarea and selects no text; fingers
  // make no mouse events and no browser scroll or zoom (the app does both).
  canvas.addEventListener('mousedown', (e) => e.preventDefault());
  for (const type of ['touchstart', 'touchmove', 'touchend']) canvas.addEventListener(type, (e) => e.preventDefault(), { passive: false });
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();  // the page itself does not scroll (or zoom, with Ctrl)
    if (!ready()) return;
    sendMods(e);
    const xy = at(e);
    _ap_input_wheel(e.deltaX, e.deltaY, e.deltaMode, mods, xy[0], xy[1]);
  }, { passive: false });

  // [SECTION] keys outside a text field
  let field = null;  // the active ImGui text field as last reported, or null
  for (const type of ['keydown', 'keyup']) {
    window.addEventListener(type, (e) => {
      if (!ready() || e.target === textarea) return;
      const t = e.target;
      if (t && t !== document.body && t !== canvas && t !== document.documentElement) return;  // the page's own buttons
      sendMods(e);
      if (field && type === 'keydown') { focusTextarea(); return; }  // the key types into the field
      key(e.code, type === 'keydown');
      if (e.code === 'Tab' || e.code === 'Space' || e.code === 'Backspace' || e.code.startsWith('Arrow')) e.preventDefault();
    });
  }
  window.addEventListener('blur', () => { if (ready() && mods) { mods = 0; _ap_input_mods(0); } });

  // [SECTION] the textarea: one way text enters
  const textarea = document.createElement('textarea');
  textarea.id = 'text-entry';
  textarea.setAttribute('aria-label', 'the text of the field being edited');
  // (No destructuring: Emscripten 3.1.6's JS optimizer drops it from a for-of.)
  const attributes = { autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', tabindex: '-1' };
  for (const name of Object.keys(attributes)) textarea.setAttribute(name, attributes[name]);
  // Visually hidden but not display:none (it must take the focus); 16 px so phones do not zoom to it.
  textarea.style.cssText = 'position:fixed;left:0;top:0;width:4px;height:16px;margin:0;padding:0;border:0;opacity:0;' +
    'resize:none;overflow:hidden;white-space:pre;font-size:16px;color:transparent;background:transparent;' +
    'caret-color:transparent;pointer-events:none';
  document.body.appendChild(textarea);

  // Code points (ImGui's positions) and UTF-16 units (the DOM's).
  function units(s, points) {
    let i = 0;
    for (let n = 0; n < points && i < s.length; ++n) i += s.codePointAt(i) > 0xffff ? 2 : 1;
    return i;
  }
  function points(s, unitsUpTo) {
    let n = 0;
    for (let i = 0; i < unitsUpTo && i < s.length; ++n) i += s.codePointAt(i) > 0xffff ? 2 : 1;
    return n;
  }

  let dirty = false, blurred = false, ourBlur = false, composing = false, preedit = '';
  let committed = null;  // during a composition: the text and selection before it
  let seen = { value: '', start: 0, end: 0 };
  const snapshot = () => ({ value: textarea.value, start: textarea.selectionStart, end: textarea.selectionEnd });
  function focusTextarea() {
    if (document.activeElement !== textarea) textarea.focus({ preventScroll: true });
  }
  textarea.addEventListener('input', () => { dirty = true; });
  textarea.addEventListener('compositionstart', () => {
    composing = true;
    committed = snapshot();
    preedit = '';
  });
  textarea.addEventListener('compositionupdate', (e) => { preedit = e.data || ''; dirty = true; });
  textarea.addEventListener('compositionend', () => { composing = false; preedit = ''; committed = null; dirty = true; });
  textarea.addEventListener('blur', () => { if (!ourBlur) { blurred = true; dirty = true; } });
  for (const type of ['keydown', 'keyup']) {
    textarea.addEventListener(type, (e) => {
      if (e.isComposing || e.keyCode === 229 || !ready()) return;  // the input method's own keys
      sendMods(e);
      if (FIELD_KEYS.includes(e.code)) {
        e.preventDefault();
        key(e.code, type === 'keydown');
      }
    });
  }

  Module.apInput = {
    // A touch screen is the main pointer (a phone, a tablet): targets sized for fingers from the first frame.
    coarse: typeof matchMedia === 'function' && matchMedia('(pointer: coarse)').matches,
    setCursor(css) { canvas.style.cursor = css; },
    // The textarea's state as JSON when it changed since the last call (once a frame), else null.
    poll() {
      const now = snapshot();
      if (now.value !== seen.value || now.start !== seen.start || now.end !== seen.end) dirty = true;
      if (!dirty) return null;
      dirty = false;
      seen = now;
      // While composing, the field keeps what was committed; the composition is drawn over it.
      const base = composing && committed ? committed : now;
      const r = JSON.stringify({
        focused: document.activeElement === textarea, blurred, value: base.value,
        start: points(base.value, base.start), end: points(base.value, base.end),
        backward: textarea.selectionDirection === 'backward', preedit: composing ? preedit : '',
      });
      blurred = false;
      return r;
    },
    // The active field as the frame left it (called when it changes): the textarea follows it.
    field(active, x, y, text, a, b) {
      if (!active) {
        field = null;
        if (document.activeElement === textarea) { ourBlur = true; textarea.blur(); ourBlur = false; }
        return;
      }
      field = { text };
      const s = ratio();
      textarea.style.left = x / s + 'px';
      textarea.style.top = y / s + 'px';
      if (!composing && !dirty) {
        if (textarea.value !== text) textarea.value = text;  // ImGui changed it (a filter, Enter, Escape)
        const start = units(text, a), end = units(text, b);
        if (textarea.selectionStart !== start || textarea.selectionEnd !== end) textarea.setSelectionRange(start, end);
        seen = snapshot();
      }
      focusTextarea();
    },
  };
})();
