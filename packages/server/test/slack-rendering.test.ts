import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ActionRecord } from '@countersign/core';
import { noteFor, requestMessage } from '../src/channels/slack/slack-blocks.js';
import { denyModal } from '../src/channels/slack/slack-deny-modal.js';
import { code, fence, plainText } from '../src/channels/slack/slack-text.js';
import { cutUtf16, HOSTILE_PARAMS, HOSTILE_STRINGS } from '@countersign/core';
import { blockErrors, viewErrors } from './fake-slack/block-kit-rules.js';
import { sampleView } from './fake-slack/sample-view.js';

/**
 * Agent-controlled text through every Slack renderer: the message blocks, the Approve confirm
 * dialog, the notification text, thread notes and the deny modal. Each must stay inside its
 * field (same blocks, same headings), be valid Block Kit (the fake's rules, as strict as
 * Slack's) and carry no mention, link, emphasis or emoji of the agent's.
 */
const LINK = '<https://cs.example/actions/act_01test|Open the full request>';
const HEADINGS = ['*Justification*', '*Why the policy asks*', '*Params*', '*Votes*'];
const HOSTILE_STRINGS_LONG = { ...HOSTILE_STRINGS, huge: '😀&<>'.repeat(3000) };

type Json = Record<string, unknown>;
// eslint-disable-next-line no-control-regex -- controls are what it looks for
const BIDI_OR_CONTROL = /[\u202A-\u202E\u2066-\u2069\u0000-\u0008\u001b]/;
/** Every text object in a block tree. */
function texts(value: unknown, out: Json[] = []): Json[] {
  if (Array.isArray(value)) value.forEach((v) => texts(v, out));
  else if (typeof value === 'object' && value !== null) {
    const o = value as Json;
    if ((o.type === 'plain_text' || o.type === 'mrkdwn') && typeof o.text === 'string') out.push(o);
    Object.values(o).forEach((v) => texts(v, out));
  }
  return out;
}

/** What is left of a mrkdwn text once the agent's (code spans, fences) and ours are taken out. */
function outsideAgentText(mrkdwn: string): string {
  return mrkdwn
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '')
    .replace(/<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]*>/g, '')
    .replace(LINK, '')
    .replace(/^\*(Justification|Why the policy asks|Params|Votes)\*$/gm, '');
}

function assertInert(label: string, blocks: unknown, shape: string[]): void {
  assert.deepEqual(
    (blocks as Json[]).map((b) => b.type),
    shape,
    `${label}: same blocks`,
  );
  for (const t of texts(blocks)) {
    const s = t.text as string;
    assert.ok(
      !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s),
      `${label}: well-formed`,
    );
    assert.ok(!BIDI_OR_CONTROL.test(s), `${label}: no bidi or controls`);
    assert.ok(
      !/@(here|channel|everyone)\b/i.test(s),
      `${label}: no bare mention in ${s.slice(0, 80)}`,
    );
    if (t.type === 'plain_text') {
      assert.ok(t.emoji !== true || !/:[a-z_]+:/.test(s), `${label}: no emoji codes`);
      continue;
    }
    assert.equal(t.verbatim, true, `${label}: verbatim mrkdwn`);
    const ours = outsideAgentText(s);
    assert.ok(
      !/[<>]/.test(ours),
      `${label}: no link or mention outside code: ${ours.slice(0, 120)}`,
    );
    assert.ok(
      !/[*_~]|:[a-z_]+:/.test(ours),
      `${label}: no formatting outside code: ${ours.slice(0, 120)}`,
    );
    assert.ok(!/approved by security|Heading|evil/.test(ours), `${label}: agent text only in code`);
    // Headings: only ours, each once, at the start of its own section.
    const headings = s
      .replace(/```[\s\S]*?```/g, '')
      .split('\n')
      .filter((l) => HEADINGS.includes(l));
    assert.ok(headings.length <= 1, `${label}: one heading per section`);
  }
}

test('hostile strings in every agent-supplied field stay inert in the request message', () => {
  const baseline = requestMessage(
    sampleView({ risk: 'critical', justification: 'why', on_behalf_of: 'x' }),
    'https://cs.example',
  );
  const shape = baseline.blocks.map((b) => b.type);
  assert.deepEqual(shape, ['header', 'section', 'section', 'section', 'section', 'actions']);
  for (const [name, hostile] of Object.entries(HOSTILE_STRINGS_LONG)) {
    const view = sampleView({
      risk: 'critical',
      action: hostile,
      resource: hostile,
      environment: hostile,
      justification: hostile,
      on_behalf_of: hostile,
      agent: { id: hostile },
      reason: hostile,
      params: { ...HOSTILE_PARAMS, [hostile]: hostile },
      explanation: [
        { rule: hostile, outcome: 'matched', effect: 'require_approval', detail: hostile },
      ],
    });
    const { blocks, text } = requestMessage(view, 'https://cs.example');
    assert.deepEqual(blockErrors(blocks, 'message'), [], `${name}: valid Block Kit`);
    assertInert(name, blocks, shape);
    // Fields: seven, each one line (the label's and the value's), plain_text.
    const fields = (blocks[1] as unknown as { fields: Json[] }).fields;
    assert.equal(fields.length, 7);
    for (const f of fields) {
      assert.equal(f.type, 'plain_text');
      assert.ok(!/[\n\r\u2028\u2029]/.test(f.text as string), `${name}: field on one line`);
    }
    // The params fence is closed and the link to the full request survives any cut.
    const params = (blocks[4] as unknown as { text: Json }).text.text as string;
    assert.ok(params.endsWith(`\`\`\`\n${LINK}`), `${name}: fence closed, link kept`);
    assert.equal(params.split('```').length, 3, `${name}: one fence`);
    // The Approve confirm dialog: plain_text, within 300.
    const actions = blocks.at(-1) as { elements: Array<{ confirm?: { text: Json } }> };
    const confirm = actions.elements[0]?.confirm?.text;
    assert.equal(confirm?.type, 'plain_text');
    assert.ok((confirm?.text as string).length <= 300);
    // Notification text: one line, no mention, link or emphasis Slack would parse.
    assert.ok(text.length <= 3000 && !/[\n<>]/.test(text), `${name}: notification text`);
    assert.ok(
      !/@(here|channel|everyone)\b|[*_~`](?!\u2060)|:(?!\u2060)[a-z_]+:/i.test(text),
      `${name}: ${text.slice(0, 100)}`,
    );
  }
});

test('hostile votes, comments and escalations stay inside their section', () => {
  const hostile = HOSTILE_STRINGS.newlines ?? '';
  const view = sampleView({
    status: 'denied',
    decided_at: '2026-01-01T00:05:00.000Z',
    reason: hostile,
    escalated_rules: [hostile],
    votes: Array.from({ length: 40 }, (_, i) => ({
      user: `${hostile}${i}`,
      vote: 'deny' as const,
      comment: HOSTILE_STRINGS.ampersands ?? '',
      channel: 'api' as const,
      at: '2026-01-01T00:05:00.000Z',
      break_glass: false,
    })),
  });
  const { blocks } = requestMessage(view, 'https://cs.example');
  assert.deepEqual(blockErrors(blocks, 'message'), []);
  assertInert('votes', blocks, ['header', 'section', 'section', 'section', 'section', 'context']);
  assert.match(JSON.stringify(blocks), /… and \d+ more/);
  const note = noteFor({ ...view, status: 'pending' }, 'action.escalated') ?? '';
  assert.ok(!/\n|@here|<!/.test(note.replace(/`[^`]*`/g, '')));
});

test('the deny modal shows hostile text as plain text within its limits', () => {
  for (const [name, hostile] of Object.entries(HOSTILE_STRINGS_LONG)) {
    const record = {
      id: 'act_01test',
      action: hostile,
      resource: hostile,
      environment: hostile,
      agent_id: hostile,
    } as unknown as ActionRecord;
    const modal = denyModal(record, 'CAPPROVALS');
    assert.deepEqual(viewErrors(modal), [], name);
    const section = modal.blocks[0] as unknown as { text: Json };
    assert.equal(section.text.type, 'plain_text');
    assert.equal(section.text.emoji, false);
    assert.ok(!/\n/.test(section.text.text as string));
  }
});

test('escape first, then cut by code point: at and over each limit, never a lone surrogate', () => {
  // Exactly at the limit: unchanged. One over: cut, with the ellipsis, within the limit.
  assert.equal(cutUtf16('a'.repeat(300), 300), 'a'.repeat(300));
  assert.equal(cutUtf16('a'.repeat(301), 300), `${'a'.repeat(299)}…`);
  // A surrogate pair across the cut is dropped whole.
  const emoji = `${'a'.repeat(298)}😀b`;
  const c = cutUtf16(emoji, 300);
  assert.equal(c, `${'a'.repeat(298)}…`);
  assert.ok(c.length <= 300);
  // An entity is never split: `&amp;` grows the text, so the cut comes after escaping.
  for (const max of [10, 11, 12, 13, 14]) {
    const out = code('&'.repeat(50), max);
    assert.ok(out.length <= max, `code within ${max}`);
    assert.match(out, /^`(&amp;)*…`$/);
  }
  for (const n of [1999, 2000, 2001]) {
    const p = plainText('😀'.repeat(n), 2000);
    assert.ok(p.text.length <= 2000);
    assert.ok(!/[\uD800-\uDBFF]$/.test(p.text.replace(/…$/, '')), 'no half pair at the cut');
  }
  const f = fence('<'.repeat(3000), 300);
  assert.ok(f.length <= 300 && f.startsWith('```') && f.endsWith('```'));
  // Block Kit limits on a message whose every field is at or over its limit.
  for (const size of [150, 151, 300, 301, 2000, 2001, 3000, 3001]) {
    const s = '😀'.repeat(Math.ceil(size / 2)).slice(0, size);
    const { blocks } = requestMessage(
      sampleView({ risk: 'high', action: s, resource: s, justification: s, params: { s } }),
      'https://cs.example',
    );
    assert.deepEqual(blockErrors(blocks, 'message'), [], `size ${size}`);
  }
});
