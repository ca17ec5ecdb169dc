import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleView as view } from '../../../test/fake-slack/sample-view.js';
import { adaptiveCardProblems } from '../../../test/fake-teams/card-checks.js';
import type { ChatBatch } from '../chat/chat-batch.js';
import { cardBytes, CARD_BUDGET_BYTES } from './teams-card-size.js';
import { requestCard } from './teams-card.js';

const batch = (n: number, value: (i: number) => string): ChatBatch => ({
  items: Array.from({ length: n }, (_, i) => ({
    id: i === 0 ? view().id : `act_01m95g5gkwnkaaf6bjhqfj${String(i).padStart(4, '0')}`,
    digest: `sha256:${'ab'.repeat(32)}`,
    resource: 'postgres://prod/customers',
    differs: { 'params.note': value(i) },
  })),
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- card JSON
const executes = (card: any): any[] =>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- card JSON
  (card.actions as any[]).flatMap((a) =>
    a.type === 'Action.Execute' ? [a] : a.type === 'Action.ShowCard' ? executes(a.card) : [],
  );

test('a large batch fits its share of the card; the items left out are counted', () => {
  const card = requestCard(
    view(),
    'https://cs.example',
    undefined,
    batch(50, (i) => `${i} ${'*'.repeat(250)}`),
  );
  assert.deepEqual(adaptiveCardProblems(card), []);
  assert.ok(cardBytes(card) <= CARD_BUDGET_BYTES);
  const approve = executes(card).find((a) => a.verb === 'countersign.batch_approve');
  const n = approve.data.items.length as number;
  assert.ok(n >= 2 && n < 50, String(n));
  assert.equal(approve.data.items[0].id, view().id, 'this request first');
  assert.equal(approve.title, `Yes, approve all ${n}`);
  assert.match(
    JSON.stringify(card),
    new RegExp(`${50 - n} more alike requests are not in this batch`),
  );
});

test('agent text in the batch is escaped; a too-long value keeps its item out', () => {
  const card = requestCard(
    view(),
    'https://cs.example',
    undefined,
    batch(3, (i) => (i === 2 ? 'x'.repeat(400) : `[Approve here](https://evil.example) ${i}`)),
  );
  const json = JSON.stringify(card);
  assert.ok(!json.includes('[Approve here](https://evil'), 'no agent link');
  assert.ok(json.includes('\\\\[Approve here\\\\]'), json.slice(0, 200));
  const approve = executes(card).find((a) => a.verb === 'countersign.batch_approve');
  assert.equal(approve.data.items.length, 2);
  assert.match(json, /1 more alike request is not in this batch/);
});

test('a path one item has and another lacks is shown as absent on the other, never left blank', () => {
  const b = batch(3, () => '');
  b.items.forEach((item, i) => (item.differs = i === 1 ? { 'params.force': true } : {}));
  const card = requestCard(view(), 'https://cs.example', undefined, b);
  type El = { text?: string; items?: El[]; columns?: El[] };
  const all = (e: El): El[] => [e, ...(e.items ?? e.columns ?? []).flatMap(all)];
  const texts = (card.body as El[])
    .flatMap(all)
    .map((e) => e.text ?? '')
    .filter((t) => t.startsWith('• ') && t.includes('customers'));
  assert.equal(texts.length, 3);
  assert.match(texts[0] ?? '', /params\.force = _\(absent\)_/, 'this request lacks it');
  assert.match(texts[1] ?? '', /params\.force = \*\*true\*\*/);
  assert.match(texts[2] ?? '', /params\.force = _\(absent\)_/);
});
