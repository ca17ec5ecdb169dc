import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Vote } from '@countersign/core';
import { buildPayload } from '../notify/notification-payload.js';
import { HOSTILE_PARAMS, HOSTILE_STRINGS } from '@countersign/core';
import { fakeRecord } from '../../test/webhooks-receiver.js';
import { actionView } from './action-view.js';

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const NOT_ONE_LINE = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/;

const hostile = Object.values(HOSTILE_STRINGS).join(' ');
const record = fakeRecord({
  status: 'denied',
  action: HOSTILE_STRINGS.newlines ?? '',
  resource: HOSTILE_STRINGS.rtl ?? '',
  justification: hostile,
  params: HOSTILE_PARAMS,
  reason: `denied by frank: ${hostile}`,
});
const votes: Vote[] = [
  {
    id: 'vote_1',
    action_id: record.id,
    user: 'frank',
    vote: 'deny',
    comment: hostile,
    channel: 'api',
    evidence: 'sha256:00',
    groups: ['data-owners'],
    outcome: 'counted',
    code: null,
    break_glass: false,
    at: record.created_at,
  },
];

test('the message is one inert paragraph whatever the agent and reviewers wrote', () => {
  const view = actionView(record, { votes });
  assert.doesNotMatch(view.message, NOT_ONE_LINE);
  assert.match(view.message, /^The request to run line one↵↵\*Votes\*↵✅ approved by security↵---/);
  assert.match(view.message, /invoice⟨RLO⟩gpj\.exe⟨PDF⟩/);
  assert.match(view.message, /Comments: frank \(deny\): /);
});

test('webhook payloads carry agent strings as data, unchanged, and the message inert', () => {
  const payload = buildPayload(
    { event: 'action.decided', record, votes, at: record.created_at },
    'evt_1',
  );
  const wire = JSON.parse(JSON.stringify(payload)) as typeof payload;
  assert.equal(wire.data.action.justification, hostile);
  assert.deepEqual(wire.data.action.params, HOSTILE_PARAMS);
  assert.equal(wire.data.action.resource, record.resource);
  assert.equal(wire.data.votes[0]?.comment, hostile);
  assert.doesNotMatch(wire.data.action.message, NOT_ONE_LINE);
});
