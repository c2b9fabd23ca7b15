// Reference cases for GPT-2's tokenizer (tests/test_bpe.cpp compares with them).
// Runs the npm package gpt-3-encoder (tests/e2e/package.json) under Node on
// more than 10,000 strings made deterministically from a seed: ASCII prose,
// contractions, numbers, white space runs, newlines, code, accented Latin
// (NFC and NFD), CJK, Hangul, Arabic, Devanagari, other scripts, emoji with
// modifiers, ZWJ sequences and flags, random code points, long runs, mixes.
//
//   node tests/reference/gpt2_tokenizer.mjs OUT_DIR [UNICODE_DATA_DIR]
//
// writes OUT_DIR/cases.json ({text, ids} for each string) and the package's
// GPT-2 files as OUT_DIR/vocab.json and OUT_DIR/merges.txt.
//
// Only code points assigned in the Unicode Character Database the C++ table
// is made from (Debian's, 15.0) are used, and only those whose class (letter,
// number, white space, other) JavaScript's regular expressions agree on:
// Node's Unicode may be newer, and JavaScript's \s has U+FEFF and lacks U+0085,
// unlike the regex engines of OpenAI's and Hugging Face's tokenizers (the C++
// tests check what the tokenizer does with those two by hand).
//
// gpt-3-encoder keys its merge ranks by the string "a,b", so a pair of tokens
// holding commas can take the rank of another pair with the same joined
// spelling (11 such pairs in GPT-2's merges, e.g. `",` + `"` and `"` + `,"`).
// No text was found where that changes the ids: all 1.1 million strings of
// two to six characters from " , ' . ( ) [ ] { } give the same ids as a
// lookup by the pair itself. The code kind below has such punctuation anyway.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const [outDir, unicodeDir = '/usr/share/unicode'] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node tests/reference/gpt2_tokenizer.mjs OUT_DIR [UNICODE_DATA_DIR]');
  process.exit(2);
}
const require = createRequire(path.join(root, 'tests/e2e/package.json'));
let packageDir;
try {
  packageDir = path.dirname(require.resolve('gpt-3-encoder/package.json'));
} catch {
  console.error('gpt-3-encoder is not installed in tests/e2e/node_modules: run scripts/setup.sh');
  process.exit(1);
}
const reference = require('gpt-3-encoder');
const referenceVersion = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;

// [SECTION] the code points the strings may use

const gc = new Map();  // code point -> General_Category, assigned ones only
{
  let first = null;
  for (const line of fs.readFileSync(path.join(unicodeDir, 'UnicodeData.txt'), 'utf8').split('\n')) {
    const f = line.split(';');
    if (f.length < 3) continue;
    const cp = parseInt(f[0], 16);
    if (f[1].endsWith(', First>')) { first = cp; continue; }
    if (f[1].endsWith(', Last>')) { for (let c = first; c <= cp; ++c) gc.set(c, f[2]); continue; }
    gc.set(cp, f[2]);
  }
}
const whiteSpace = new Set();
for (const line of fs.readFileSync(path.join(unicodeDir, 'PropList.txt'), 'utf8').split('\n')) {
  const m = /^([0-9A-F]+)(?:\.\.([0-9A-F]+))?\s*;\s*White_Space\b/.exec(line);
  if (m) for (let c = parseInt(m[1], 16); c <= parseInt(m[2] ?? m[1], 16); ++c) whiteSpace.add(c);
}
const dataClass = (cp) => whiteSpace.has(cp) ? 'space' : gc.get(cp)[0] === 'L' ? 'letter' : gc.get(cp)[0] === 'N' ? 'number' : 'other';
const isLetter = /^\p{L}$/u, isNumber = /^\p{N}$/u, isSpace = /^\s$/u;
const jsClass = (ch) => isSpace.test(ch) ? 'space' : isLetter.test(ch) ? 'letter' : isNumber.test(ch) ? 'number' : 'other';
const excluded = [];
for (const [cp, cat] of gc) {
  if (cat === 'Cs') continue;
  if (jsClass(String.fromCodePoint(cp)) !== dataClass(cp)) excluded.push(cp);
}
excluded.sort((a, b) => a - b);
const excludedSet = new Set(excluded);
// JavaScript's class of every usable code point, as break points [first, class] (class -1: not usable),
// for an independent check of the C++ table over the whole range, not only where the strings go.
const classCodes = { other: 0, letter: 1, number: 2, space: 3 };
const classBreaks = [];
for (let cp = 0, last = null; cp < 0x110000; ++cp) {
  const c = gc.has(cp) && gc.get(cp) !== 'Cs' && !excludedSet.has(cp) ? classCodes[jsClass(String.fromCodePoint(cp))] : -1;
  if (c !== last) classBreaks.push([cp, c]);
  last = c;
}
const usable = (cp) => gc.has(cp) && gc.get(cp) !== 'Cs' && !excludedSet.has(cp);
const usableList = [...gc.keys()].filter((cp) => usable(cp) && gc.get(cp) !== 'Co').sort((a, b) => a - b);

// [SECTION] a seeded generator (mulberry32)

let seed = 0x6770_7432;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));  // lo..hi inclusive
const pick = (list) => list[Math.floor(random() * list.length)];
const repeat = (n, make) => Array.from({ length: n }, make);
const fromRange = (lo, hi) => {  // a usable code point of lo..hi
  for (let tries = 0; tries < 100; ++tries) {
    const cp = int(lo, hi);
    if (usable(cp)) return String.fromCodePoint(cp);
  }
  return String.fromCodePoint(lo);
};
const word = (lo, hi, min = 1, max = 8) => repeat(int(min, max), () => fromRange(lo, hi)).join('');

// [SECTION] the kinds of string

const english = ('the of and to in is was he for it with as his on be at by I this had not are but from or have an ' +
  'they which one you were her all she there would their we him been has when who will more no if out so said what ' +
  'up its about into than them can only other new some could time these two may then do first any my now such like ' +
  'our over man me even most made after also did many before must through back years where much your way well down ' +
  'should because each just those people Mr how too little state good very make world still own see men work long ' +
  'get here between both life being under never day same another know while last might us great old year off come ' +
  'since against go came right used take three The A In It He She They We You This That What When Hello OK USA NASA ' +
  'GPT Attention Transformer tokenizer playground').split(' ');
const punctuation = ['.', ',', '!', '?', ';', ':', '-', '--', '...', '(', ')', '"', "'", '[', ']', '/', '&', '*', '#', '@',
  '%', '$', '+', '=', '<', '>', '_', '~', '`', '^', '|', '\\', '{', '}', '–', '—', '“', '”', '‘', '’', '«', '»', '…', '•'];
const sentence = (n = int(3, 14)) => {
  let s = '';
  for (let i = 0; i < n; ++i) {
    s += (i && random() < 0.9 ? ' ' : '') + pick(english);
    if (random() < 0.15) s += pick(punctuation);
  }
  return s + (random() < 0.6 ? pick(['.', '!', '?', '', '\n']) : '');
};

const contractionEnds = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'VE", "'M", "'LL", "'D", "'Re",
  "’s", "’t", "''s", "'", "''", "'x", "'l", "'r", "'v", "'sss", "'ss'", "'dd"];
const contraction = () => {
  const parts = repeat(int(1, 6), () => {
    const w = pick(['it', 'don', 'you', 'we', 'they', 'I', 'IT', 'DON', 'YOU', 'John', 'rock', 'n', "o", 'ma', '', '42']);
    return w + pick(contractionEnds) + (random() < 0.3 ? pick(['n', 'roll', 'clock', 'am', '']) : '');
  });
  return parts.join(pick([' ', ' ', '', '  ', '\n', ', ']));
};

const unicodeDigits = [[0x30, 0x39], [0x660, 0x669], [0x966, 0x96f], [0xff10, 0xff19], [0x2070, 0x2079], [0xbc, 0xbe],
  [0x2150, 0x2182], [0x2460, 0x2473], [0x1d7ce, 0x1d7ff], [0xe50, 0xe59]];
const number = () => {
  const digits = (n) => repeat(n, () => String(int(0, 9))).join('');
  const forms = [
    () => digits(int(1, 20)),
    () => `${digits(int(1, 4))}.${digits(int(1, 6))}`,
    () => `${int(1, 999)},${digits(3)},${digits(3)}`,
    () => `-${digits(int(1, 3))}.${digits(2)}e${pick(['-', '+', ''])}${digits(int(1, 3))}`,
    () => `${int(1900, 2099)}-${String(int(1, 12)).padStart(2, '0')}-${String(int(1, 28)).padStart(2, '0')}`,
    () => `v${int(0, 20)}.${int(0, 99)}.${int(0, 999)}`,
    () => `0x${int(0, 0xffffff).toString(16).toUpperCase()}`,
    () => `+${digits(2)} ${digits(3)} ${digits(4)}`,
    () => `$${digits(int(1, 7))}.${digits(2)}`,
    () => `${digits(int(1, 3))}%`,
    () => { const [lo, hi] = pick(unicodeDigits); return word(lo, hi, 1, 6); },
    () => `${int(1, 12)}:${String(int(0, 59)).padStart(2, '0')} ${pick(['AM', 'pm', ''])}`,
  ];
  return repeat(int(1, 5), () => pick(forms)()).join(pick([' ', '', ', ', ' + ', 'x', ' and ']));
};

const spaces = [' ', ' ', ' ', '\t', '\n', '\r\n', '\r', '\v', '\f', '\u00a0', '\u1680', '\u2000', '\u2001', '\u2002',
  '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a', '\u2028', '\u2029', '\u202f',
  '\u205f', '\u3000', '\u200b', '\u180e', '\u001c', '\u001f'];
const spaceRun = (max = 6) => repeat(int(1, max), () => pick(spaces)).join('');
const whitespace = () => {
  let s = random() < 0.3 ? spaceRun() : '';
  for (let i = int(1, 6); i > 0; --i) s += pick([pick(english), number(), pick(punctuation), word(0x4e00, 0x9fff, 1, 2)]) + spaceRun();
  return random() < 0.5 ? s : s.trimEnd() + pick(['', '\n', '\n\n', '  ', '\r\n']);
};

const snippets = [
  'int main(int argc, char** argv) {\n  return 0;\n}\n',
  'for (size_t i = 0; i < n; ++i) sum += a[i] * b[i];',
  'def softmax(x):\n    e = np.exp(x - x.max(axis=-1, keepdims=True))\n    return e / e.sum(axis=-1, keepdims=True)\n',
  'const f = async (x) => { await fetch(`/api/${x}`); };',
  '{"name": "gpt2", "n_layer": 12, "n_head": 12, "vocab": [1, 2, 3]}',
  '["a","b"],["c","d"],{"k":"v","x":[1,2,{"y":null}]}',
  '"],"\'\',\'"),"\'},{\'a\':[\'b\',\'c\']}',
  'if x != None and not y:\n\tprint(f"{x!r:>10}")\n',
  '#include <vector>\n#define MAX(a, b) ((a) > (b) ? (a) : (b))\n',
  'git commit -m "Fix the thing" && ls -la ~/.config | grep -v \'^d\' > /dev/null 2>&1',
  '<div class="row"><a href="https://example.com/?q=1&r=2#top">link</a></div>',
  '/^(?:[a-z0-9!#$%&\'*+/=?^_`{|}~-]+)@[a-z]+\\.[a-z]{2,}$/i',
  'SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC;',
  '- [x] item\n- [ ] **bold** _it_ `code`\n\n> quote\n\n| a | b |\n|---|---|\n',
  'x = torch.randn(2, 3, 4); y = x @ x.transpose(-1, -2) / math.sqrt(d_head)',
  'std::vector<std::pair<int, std::string>> v{{1, "one"}, {2, "two"}};',
  '    return self.__dict__.get(\'_cache\', {})[key]  # noqa: E501',
  'fn main() -> Result<(), Box<dyn Error>> { println!("{:?}", vec![1u8; 4]); Ok(()) }',
  '<|endoftext|>Once upon a time<|endoftext|>',
  'a=1;b=2;;c+=a<<2|b>>1&&!d||e?f:g;',
];
const code = () => {
  const lines = repeat(int(1, 4), () => pick(snippets)).join(pick(['\n', '\n\n', '', '\r\n']));
  const indent = pick(['', '  ', '    ', '\t', '\t\t', '        ']);
  return lines.split('\n').map((l) => (random() < 0.5 ? indent : '') + l).join('\n');
};

const accentedLetters = 'éèêëáàâäãåāăąçćčďđéěęėíìîïīįłñńňóòôöõøōőœŕřśšşșťţțúùûüůūűųýÿźžżßÉÈÊÀÂÄÇÑÖØÜÅÆŒŠŽĐŁ' +
  'ắằẳẵặấầẩẫậếềểễệốồổỗộớờởỡợứừửữựỳỹỷỵđ';
const accented = () => {
  const base = 'abcdefghijklmnopqrstuvwxyz';
  const w = () => repeat(int(2, 10), () => (random() < 0.35 ? pick([...accentedLetters]) : pick([...base]))).join('');
  let s = repeat(int(1, 8), w).join(' ');
  if (random() < 0.3) s = s[0].toUpperCase() + s.slice(1);
  if (random() < 0.3) s = pick(['Crème brûlée', 'naïve café', 'Größe', 'Ærøskøbing', 'Tiếng Việt', 'señor', 'Dvořák']) + ' ' + s;
  return random() < 0.5 ? s.normalize('NFC') : s.normalize('NFD');  // NFD: letters then combining marks
};

const cjk = () => {
  const parts = repeat(int(1, 6), () => pick([
    () => word(0x4e00, 0x9fff, 1, 6),
    () => word(0x3041, 0x3096, 1, 5),
    () => word(0x30a1, 0x30fa, 1, 5),
    () => pick(['、', '。', '「', '」', '・', 'ー', '（', '）', '！', '？', '：', '《', '》']),
    () => word(0x20000, 0x2a6df, 1, 2),
    () => word(0xff21, 0xff3a, 1, 3),
    () => pick(english),
    () => String(int(0, 9999)),
  ])());
  return parts.join(random() < 0.7 ? '' : pick([' ', '\u3000', '\n']));
};

const hangul = () => repeat(int(1, 8), () => (random() < 0.9 ? word(0xac00, 0xd7a3, 1, 5) : word(0x1100, 0x11ff, 1, 3)))
  .join(pick([' ', ' ', '', '. ', ', ', '\n']));

const arabic = () => repeat(int(1, 8), () => {
  let w = '';
  for (let i = int(2, 7); i > 0; --i) w += fromRange(0x621, 0x64a) + (random() < 0.3 ? fromRange(0x64b, 0x652) : '');
  return random() < 0.1 ? word(0x660, 0x669, 1, 4) : w;
}).join(pick([' ', ' ', '، ', '؟ ', '\n']));

const devanagari = () => repeat(int(1, 8), () => {
  let w = '';
  for (let i = int(1, 4); i > 0; --i) {
    w += fromRange(0x915, 0x939);
    const r = random();
    if (r < 0.4) w += fromRange(0x93e, 0x94c);
    else if (r < 0.55) w += '\u094d' + fromRange(0x915, 0x939);
    else if (r < 0.65) w += pick(['\u0902', '\u0901', '\u0903']);
  }
  return random() < 0.1 ? word(0x966, 0x96f, 1, 4) : w;
}).join(pick([' ', ' ', '। ', '\n']));

const scripts = [[0x410, 0x44f], [0x391, 0x3c9], [0x5d0, 0x5ea], [0xe01, 0xe39], [0x1200, 0x135a], [0x10a0, 0x10ff],
  [0x531, 0x586], [0xb85, 0xbb9], [0x1780, 0x17dd], [0x13a0, 0x13f5], [0x1e00, 0x1eff], [0x250, 0x2af]];
const otherScripts = () => {
  const [lo, hi] = pick(scripts);
  return repeat(int(1, 8), () => word(lo, hi, 1, 9)).join(pick([' ', ' ', '', ', ', '\n']));
};

const skinTones = ['\u{1f3fb}', '\u{1f3fc}', '\u{1f3fd}', '\u{1f3fe}', '\u{1f3ff}'];
const emojiSequences = ['👨‍👩‍👧‍👦', '👩🏽‍💻', '🏳️‍🌈', '🧑🏿‍🤝‍🧑🏻', '❤️', '❤️‍🔥', '1️⃣', '#️⃣', '*️⃣', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '🇺🇳', '🇯🇵',
  '👍🏼', '🤷‍♀️', '🐻‍❄️', '😶‍🌫️', '©️', '™️', '☺️', '✌🏾'];
const emoji = () => repeat(int(1, 8), () => pick([
  () => pick(emojiSequences),
  () => fromRange(0x1f600, 0x1f64f) + (random() < 0.3 ? pick(skinTones) : ''),
  () => fromRange(0x1f44a, 0x1f450) + pick(skinTones),
  () => fromRange(0x1f466, 0x1f469) + pick(skinTones) + (random() < 0.5 ? '\u200d' + pick(['💻', '🔬', '🚀', '⚕️', '🎓']) : ''),
  () => fromRange(0x1f1e6, 0x1f1ff) + fromRange(0x1f1e6, 0x1f1ff),
  () => fromRange(0x1f300, 0x1f5ff),
  () => fromRange(0x1f900, 0x1f9ff),
  () => fromRange(0x2600, 0x27bf) + (random() < 0.5 ? '\ufe0f' : ''),
  () => pick(english),
])()).join(pick(['', ' ', ' ', '\n', '!']));

const randomCodePoints = () => repeat(int(1, 30), () => (random() < 0.15 ? ' ' : String.fromCodePoint(pick(usableList)))).join('');

const controls = () => repeat(int(1, 10), () => pick([
  () => String.fromCodePoint(int(0, 0x1f)), () => '\u007f', () => fromRange(0x80, 0x9f), () => pick(english),
  () => pick(spaces), () => '\ufffd', () => fromRange(0xe000, 0xf8ff), () => '\u00ad', () => '\u200d', () => '\u2060',
])()).join('');

const long = () => pick([
  () => pick(['a', 'ab', 'z', 'é', '日', 'x1']).repeat(int(50, 400)),
  () => word(0x61, 0x7a, 100, 600),
  () => repeat(int(100, 600), () => String(int(0, 9))).join(''),
  () => pick(['!', '.', '-', '=', '*', '#', '/', '"', '\'', ',', '😀']).repeat(int(20, 300)),
  () => pick([' ', '\n', '\t', ' \n', '\r\n']).repeat(int(20, 300)) + pick(['', 'x', ' x', '\n']),
  () => repeat(int(100, 500), () => pick([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'])).join('') + '==',
  () => 'https://example.com/' + repeat(int(5, 30), () => pick(english)).join('/') + '?q=' + number(),
  () => repeat(int(20, 60), () => sentence()).join(' '),
])();

const mixed = () => repeat(int(2, 5), () => pick(kinds.filter(([name]) => name !== 'mixed' && name !== 'long'))[1]())
  .join(pick(['', ' ', '\n', ', ', '\t']));

const edges = ['', ' ', '  ', '\n', '\n\n', '\r\n', '\t', "'", "'s", " 's", "''", "'S", ' ', 'a', ' a', 'a ', '  a', 'a  ',
  '1', ' 1', '!', ' !', '日本', ' 日本', 'é', 'e\u0301', '\u0301', ' \u0301', 'a\u0301b', '\u00a0', 'a\u00a0b',
  'a \u00a0b', '\u3000x', 'x\u2028y', '<|endoftext|>', 'Hello world', 'hello world', ' Hello', 'HELLO', '123 456',
  '1,000', 'don\'t', 'DON\'T', "it's", "IT'S", "we'll", "we'LL", 'a\n\nb', 'a \n b', 'a\t\tb', ' \t ', '\t\n '];

const kinds = [
  ['ascii', sentence, 1500],
  ['contractions', contraction, 800],
  ['numbers', number, 900],
  ['whitespace', whitespace, 1000],
  ['code', code, 900],
  ['accented', accented, 800],
  ['cjk', cjk, 700],
  ['hangul', hangul, 400],
  ['arabic', arabic, 400],
  ['devanagari', devanagari, 400],
  ['scripts', otherScripts, 500],
  ['emoji', emoji, 800],
  ['random', randomCodePoints, 1000],
  ['controls', controls, 300],
  ['long', long, 150],
  ['mixed', mixed, 1200],
];

// [SECTION] cases

const cases = [];
const seen = new Set();
const counts = {};
const add = (kind, text) => {
  for (const ch of text) {
    if (!usable(ch.codePointAt(0))) throw new Error(`${kind} made U+${ch.codePointAt(0).toString(16)}, which is not usable`);
  }
  if (seen.has(text)) return;
  seen.add(text);
  const ids = reference.encode(text);
  if (!ids.every(Number.isInteger)) throw new Error(`gpt-3-encoder gave a non-integer id for ${JSON.stringify(text)}`);
  if (reference.decode(ids) !== text) throw new Error(`gpt-3-encoder does not decode back ${JSON.stringify(text)}`);
  cases.push({ kind, text, ids });
  counts[kind] = (counts[kind] ?? 0) + 1;
};
for (const text of edges) add('edge', text);
for (const [kind, make, n] of kinds) for (let i = 0; i < n; ++i) add(kind, make());

fs.mkdirSync(outDir, { recursive: true });
fs.copyFileSync(path.join(packageDir, 'encoder.json'), path.join(outDir, 'vocab.json'));
fs.copyFileSync(path.join(packageDir, 'vocab.bpe'), path.join(outDir, 'merges.txt'));
const out = {
  reference: `gpt-3-encoder ${referenceVersion}`,
  node_unicode: process.versions.unicode,
  excluded_code_points: excluded,
  js_class_breaks: classBreaks,
  counts,
  cases,
};
fs.writeFileSync(path.join(outDir, 'cases.json.tmp'), JSON.stringify(out));
fs.renameSync(path.join(outDir, 'cases.json.tmp'), path.join(outDir, 'cases.json'));  // never half a file
const hex = (cp) => 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
console.log(`${cases.length} cases from gpt-3-encoder ${referenceVersion} (Node's Unicode ${process.versions.unicode}) ` +
  `in ${outDir}; code points left out, where JavaScript's class differs from the data's: ${excluded.map(hex).join(' ')}`);
