import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOSTILE_STRINGS } from '@countersign/core';
import { terminalJson, terminalSafe, terminalSafeLines } from './terminal-text.js';

/** Anything a terminal would obey rather than print, or that reorders what follows. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const OBEYED = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/;
const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const TERMINAL_ATTACKS = {
  osc8: '\u001b]8;;https://evil.example\u0007Approve\u001b]8;;\u0007',
  title: '\u001b]0;pwned\u0007',
  clear: '\u001b[2J\u001b[H',
  c1Csi: '\u009b31mred\u009b0m',
  carriageReturn: 'rm -rf /\rls -la   ',
};

test('terminalSafe leaves nothing a terminal obeys, in any hostile string', () => {
  for (const [name, s] of Object.entries({ ...HOSTILE_STRINGS, ...TERMINAL_ATTACKS })) {
    const out = terminalSafe(s);
    assert.doesNotMatch(out, OBEYED, name);
    assert.doesNotMatch(out, LONE, name);
  }
});

test('terminalSafe shows what it replaced', () => {
  assert.equal(terminalSafe('a\r\nb\nc\rd\u2028e'), 'a↵b↵c↵d↵e');
  assert.equal(terminalSafe('\u001b[31mred'), '␛[31mred');
  assert.equal(terminalSafe(TERMINAL_ATTACKS.osc8), '␛]8;;https://evil.example␇Approve␛]8;;␇');
  assert.equal(terminalSafe('\u009b31m'), '⟨U+009B⟩31m');
  assert.equal(terminalSafe('invoice\u202Egpj.exe'), 'invoice⟨RLO⟩gpj.exe');
  assert.equal(terminalSafe('nul\u0000 del\u007f lone \uD83D 😀'), 'nul␀ del␡ lone \uFFFD 😀');
  assert.equal(terminalSafe('plain, ünïcödé and עברית'), 'plain, ünïcödé and עברית');
});

test('terminalSafeLines keeps line breaks and neutralises the rest', () => {
  assert.equal(terminalSafeLines('Error: x\u001b[2J\n    at y'), 'Error: x␛[2J\n    at y');
});

test('terminalJson is the same JSON value with nothing a terminal obeys', () => {
  const value = { ...HOSTILE_STRINGS, ...TERMINAL_ATTACKS, nested: [HOSTILE_STRINGS.rtl] };
  const out = terminalJson(value);
  assert.deepEqual(JSON.parse(out), value);
  assert.doesNotMatch(out.replace(/\n/g, ''), OBEYED);
  assert.doesNotMatch(out, LONE);
});
