import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOSTILE_PARAMS, HOSTILE_STRINGS } from './hostile-strings.js';
import {
  cutCodePoints,
  cutUtf16,
  inertJson,
  inertJsonLine,
  inertLine,
  inertLines,
  oneLine,
  stripBidi,
  wellFormed,
} from './inert-text.js';

const LINE_BREAKS = /[\n\r\u0085\u2028\u2029]/;
// eslint-disable-next-line no-control-regex -- the point is to find control characters
const CONTROLS = /[\u0000-\u001F\u007F-\u009F]/;
// eslint-disable-next-line no-control-regex -- indented JSON keeps its own line feeds
const CONTROLS_BUT_NEWLINE = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/;
const BIDI = /[\u202A-\u202E\u2066-\u2069]/;
const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

test('oneLine folds every kind of line break into one visible mark each', () => {
  assert.equal(oneLine('a\r\nb\rc\u2028d\u2029e\nf\u0085g'), 'a↵b↵c↵d↵e↵f↵g');
  assert.equal(oneLine('a\n\nb'), 'a↵↵b');
  assert.equal(oneLine('plain text'), 'plain text');
});

test('oneLine shows other control characters as their pictures', () => {
  assert.equal(oneLine('nul\u0000bell\u0007esc\u001b[31m del\u007f'), 'nul␀bell␇esc␛[31m del␡');
  assert.equal(oneLine('tab\there'), 'tab␉here');
  assert.equal(oneLine('c1\u009bx'), 'c1⟨U+009B⟩x');
});

test('stripBidi replaces overrides and isolates with named markers', () => {
  assert.equal(
    stripBidi('invoice\u202Egpj.exe\u202C and \u2066isolated\u2069'),
    'invoice⟨RLO⟩gpj.exe⟨PDF⟩ and ⟨LRI⟩isolated⟨PDI⟩',
  );
  assert.equal(stripBidi('\u202A\u202B\u202D\u2067\u2068'), '⟨LRE⟩⟨RLE⟩⟨LRO⟩⟨RLI⟩⟨FSI⟩');
  assert.equal(stripBidi('עברית abc'), 'עברית abc', 'right-to-left letters themselves stay');
});

test('wellFormed replaces lone surrogates and keeps pairs', () => {
  assert.equal(wellFormed('emoji 😀 lone \uD83D end \uDE00'), 'emoji 😀 lone \uFFFD end \uFFFD');
});

test('inertLine leaves no break, control, bidi override or lone surrogate in any hostile string', () => {
  for (const [name, s] of [...Object.entries(HOSTILE_STRINGS), ...Object.entries(HOSTILE_PARAMS)]) {
    const out = inertLine(s);
    assert.doesNotMatch(out, LINE_BREAKS, name);
    assert.doesNotMatch(out, CONTROLS, name);
    assert.doesNotMatch(out, BIDI, name);
    assert.doesNotMatch(out, LONE, name);
    assert.doesNotThrow(() => encodeURIComponent(out), name);
  }
});

test('cutCodePoints counts code points, keeps pairs whole and stays within max', () => {
  assert.equal(cutCodePoints('short', 10), 'short');
  assert.equal(cutCodePoints('exactly10!', 10), 'exactly10!');
  assert.equal(cutCodePoints('0123456789A', 10), '012345678…');
  assert.equal(cutCodePoints('😀😀😀', 3), '😀😀😀', 'three code points fit in three');
  assert.equal(cutCodePoints('😀😀😀😀', 3), '😀😀…');
  assert.equal(cutCodePoints('abcdef', 4, '...'), 'a...');
  assert.equal(cutCodePoints('abcdef', 2, '...'), 'ab', 'no room for the ellipsis');
  for (let max = 0; max < 12; max++) {
    const out = cutCodePoints('a😀b😀c😀d😀e😀f😀', max);
    assert.ok(Array.from(out).length <= max, `max ${max}`);
    assert.doesNotMatch(out, LONE, `max ${max}`);
  }
});

test('cutCodePoints never leaves half an HTML entity before the ellipsis', () => {
  const escaped = '&amp;&lt;&gt;'.repeat(10);
  for (let max = 2; max < 40; max++) {
    const out = cutCodePoints(escaped, max);
    assert.match(out, /^(?:&(?:amp|lt|gt);)*…$/, `max ${max}: ${out}`);
    assert.ok(Array.from(out).length <= max);
  }
});

test('stripBidi also names the implicit marks (LRM, RLM, ALM)', () => {
  assert.equal(stripBidi('a\u200Eb\u200Fc\u061Cd'), 'a⟨LRM⟩b⟨RLM⟩c⟨ALM⟩d');
});

test('inertLines keeps line breaks as \\n and nothing else invisible', () => {
  assert.equal(inertLines('a\r\nb\u2028c\u0085d\u202Ee\u0000\uD800'), 'a\nb\nc\nd⟨RLO⟩e␀\uFFFD');
});

test('cutUtf16 counts UTF-16 units, keeps pairs and entities whole and stays within max', () => {
  assert.equal(cutUtf16('a'.repeat(300), 300), 'a'.repeat(300));
  assert.equal(cutUtf16('a'.repeat(301), 300), `${'a'.repeat(299)}…`);
  assert.equal(cutUtf16('😀😀😀', 4), '😀…', 'a pair counts two');
  assert.equal(cutUtf16(`${'a'.repeat(8)}😀b`, 10), `${'a'.repeat(8)}…`);
  assert.equal(cutUtf16('&amp;&amp;&amp;', 8), '&amp;…');
  for (let max = 0; max < 12; max++) {
    const out = cutUtf16('a😀b😀c😀d😀e😀f😀', max);
    assert.ok(out.length <= max, `max ${max}`);
    assert.doesNotMatch(out, LONE, `max ${max}`);
  }
});

test('inertJson and inertJsonLine: the same value back, no raw control, bidi or line break', () => {
  const value = { params: HOSTILE_PARAMS, strings: HOSTILE_STRINGS };
  for (const json of [inertJson(value), inertJsonLine(value)]) {
    assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(value)));
    assert.doesNotMatch(json, CONTROLS_BUT_NEWLINE);
    assert.doesNotMatch(json, BIDI);
  }
  assert.doesNotMatch(inertJsonLine(value), LINE_BREAKS);
});
