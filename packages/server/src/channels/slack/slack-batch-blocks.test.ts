import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleView as view } from '../../../test/fake-slack/sample-view.js';
import { blockErrors } from '../../../test/fake-slack/block-kit-rules.js';
import type { ChatBatch } from '../chat/chat-batch.js';
import { decodeBatchItems } from '../chat/chat-batch.js';
import { requestMessage } from './slack-blocks.js';

const digest = (i: number) => `sha256:${i.toString(16).padStart(64, 'a')}`;
const id = (i: number) => `act_01m95g5gkwnkaaf6bjhqfj${String(i).padStart(4, '0')}`;
const batchOf = (
  n: number,
  differs: (i: number) => Record<string, string> = (i) => ({ 'params.rows': String(i) }),
): ChatBatch => ({
  items: Array.from({ length: n }, (_, i) => ({
    id: i === 0 ? view().id : id(i),
    digest: digest(i),
    resource: 'postgres://prod/customers',
    differs: differs(i),
  })),
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Block Kit JSON
const buttons = (blocks: any[]) =>
  blocks.find((b) => b.block_id === 'countersign.batch')?.elements ?? [];

test('a batch of 50 is capped to what the button value holds, and the rest is counted', () => {
  const { blocks } = requestMessage(view(), 'https://cs.example', batchOf(50));
  assert.deepEqual(blockErrors(blocks, 'message'), []);
  const [approve, deny] = buttons(blocks);
  assert.ok(String(approve.value).length <= 2000);
  assert.equal(approve.value, deny.value);
  const items = decodeBatchItems(String(approve.value));
  assert.ok(items && items.length >= 2 && items.length < 50);
  assert.equal(items?.[0]?.id, view().id, 'this request first');
  assert.equal(approve.text.text, `Approve all ${items?.length}`);
  const left = 50 - (items?.length ?? 0);
  assert.match(
    JSON.stringify(blocks),
    new RegExp(`${left} more alike requests are not in this batch`),
  );
});

test('an item whose distinguishing value would be cut is left out, and counted', () => {
  const long = (i: number) => ({ 'params.sql': i === 2 ? `select ${'x'.repeat(400)}` : `q${i}` });
  const { blocks } = requestMessage(view(), 'https://cs.example', batchOf(3, long));
  const items = decodeBatchItems(String(buttons(blocks)[0]?.value));
  assert.deepEqual(
    items?.map((i) => i.id),
    [view().id, id(1)],
  );
  assert.match(JSON.stringify(blocks), /1 more alike request is not in this batch/);
});

test('a decided request, or a lone one, offers no batch', () => {
  assert.deepEqual(
    buttons(requestMessage(view({ status: 'approved' }), 'https://x', batchOf(3)).blocks),
    [],
  );
  assert.deepEqual(buttons(requestMessage(view(), 'https://x', batchOf(1)).blocks), []);
});

test('a path one item has and another lacks is shown as absent on the other, never left blank', () => {
  const some = (i: number): Record<string, string> => (i === 1 ? { 'params.force': 'true' } : {});
  const { blocks } = requestMessage(view(), 'https://cs.example', batchOf(3, some));
  const section = JSON.stringify(
    blocks.find((b) => b.type === 'section' && /alike/.test(JSON.stringify(b))),
  );
  const lines = (JSON.parse(section) as { text: { text: string } }).text.text
    .split('\n')
    .slice(1, 4);
  assert.equal(lines.length, 3);
  assert.match(lines[0] ?? '', /`params\.force` = _\(absent\)_/, 'this request lacks it');
  assert.match(lines[1] ?? '', /`params\.force` = `true`/);
  assert.match(lines[2] ?? '', /`params\.force` = _\(absent\)_/);
});

test('a long public URL does not cut the last line of a full batch section', () => {
  const url = `https://countersign.internal.example.com/${'tenant/'.repeat(20)}`;
  const long = (i: number) => ({ 'params.note': `${i} ${'n'.repeat(275)}` });
  const { blocks } = requestMessage(view(), url, batchOf(50, long));
  const section = blocks.find((b) => b.type === 'section' && /alike/.test(JSON.stringify(b)));
  const text = (section as { text: { text: string } }).text.text;
  assert.ok(text.length <= 3000);
  assert.ok(text.endsWith('|see them in Countersign>.'), text.slice(-80));
});
