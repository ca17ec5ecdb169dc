import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonlLines } from './jsonl-lines.js';

async function lines(chunks: readonly string[], max?: number): Promise<string[]> {
  async function* source() {
    for (const c of chunks) yield Buffer.from(c);
  }
  const out: string[] = [];
  for await (const batch of jsonlLines(source(), max)) {
    for (const line of batch) out.push(Buffer.from(line).toString('latin1'));
  }
  return out;
}

test('splits lines across chunk boundaries, keeping every byte but the newline', async () => {
  assert.deepEqual(await lines(['{"a"', ':1}\n{"b":2}\n', '', '{', '"c"', ':3}\n']), [
    '{"a":1}',
    '{"b":2}',
    '{"c":3}',
  ]);
  assert.deepEqual(await lines(['a\r\n\nb']), ['a\r', '', 'b']);
  assert.deepEqual(await lines([]), []);
  assert.deepEqual(await lines(['\n']), ['']);
});

test('refuses a line longer than the limit instead of buffering it', async () => {
  assert.deepEqual(await lines(['12345\n'], 5), ['12345']);
  await assert.rejects(lines(['123456\n'], 5), RangeError);
  await assert.rejects(lines(['123', '456'], 5), RangeError);
  await assert.rejects(lines(['123', '45', '6\n'], 5), RangeError);
});
