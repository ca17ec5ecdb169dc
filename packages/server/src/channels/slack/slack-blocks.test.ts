import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleView as view } from '../../../test/fake-slack/sample-view.js';
import { requestMessage } from './slack-blocks.js';
import { escapeMrkdwn } from './slack-text.js';

test('agent-supplied text cannot mention @channel or show its own links', () => {
  const hostile = '<!channel> urgent: <https://evil.example/approve|Approve here> & more';
  const message = JSON.stringify(
    requestMessage(
      view({ justification: hostile, resource: '<@U0BOSS>', params: { sql: '```<!here>```' } }),
      'https://cs.example',
    ),
  );
  assert.ok(!message.includes('<!channel>'), 'no channel mention');
  assert.ok(!message.includes('<!here>'), 'no here mention');
  assert.ok(!message.includes('<https://evil'), 'no agent link');
  assert.ok(!message.includes('<@U0BOSS>'), 'no user ping');
  assert.ok(message.includes('&lt;\u2060!channel&gt;'), 'shown escaped and defused');
  assert.equal(escapeMrkdwn('a & <b>'), 'a &amp; &lt;b&gt;');
});

test('the message has the context, the params, a link and Approve/Deny while pending', () => {
  const { blocks, text } = requestMessage(
    view({ risk: 'high', justification: 'Quarterly churn' }),
    'https://cs.example/',
  );
  const json = JSON.stringify(blocks);
  assert.match(text, /db\.export on postgres:\/\/prod\/customers/);
  assert.ok(blocks.length <= 50);
  assert.equal(blocks[0]?.type, 'header');
  assert.match(json, /Approval needed: db\.export · high risk/);
  for (const s of [
    'Agent: exporter',
    'Resource: postgres://prod/customers',
    'Environment: production',
    'production',
    'Quarterly churn',
    '0 of 2',
    '\\"rows\\": 25000',
  ])
    assert.ok(json.includes(s), s);
  assert.ok(json.includes('<https://cs.example/actions/act_01test|Open the full request>'));
  const actions = blocks.find((b) => b.type === 'actions');
  assert.ok(actions && actions.type === 'actions');
  const ids = actions.elements.map((e) => ('action_id' in e ? e.action_id : ''));
  assert.deepEqual(ids, ['countersign.approve:act_01test', 'countersign.deny:act_01test']);
  assert.ok(json.includes('"confirm"'), 'a high-risk approval asks to confirm');
  // Long params are cut, and the link still leads to all of them.
  const long = JSON.stringify(
    requestMessage(view({ params: { blob: 'x'.repeat(10_000) } }), 'https://cs.example'),
  );
  assert.ok(long.includes('(truncated)') && long.length < 8000);
});

test('decided: no buttons, the votes and the outcome are shown', () => {
  const { blocks } = requestMessage(
    view({
      status: 'denied',
      decided_at: '2026-01-01T00:05:00.000Z',
      reason: 'denied by frank: not now',
      votes: [
        {
          user: 'frank',
          vote: 'deny',
          comment: 'not now',
          channel: 'slack',
          at: '2026-01-01T00:05:00.000Z',
          break_glass: false,
        },
      ],
    }),
    'https://cs.example',
  );
  const json = JSON.stringify(blocks);
  assert.ok(!blocks.some((b) => b.type === 'actions'));
  assert.match(json, /Denied: db\.export/);
  assert.match(json, /`frank` denied <!date\^1767225900\^/);
  assert.match(json, /not now/);
});

test('step_up: web turns the buttons into one link to the web UI', () => {
  const approval = {
    clauses: [{ rule: 'r', from: ['security'], groups: [], quorum: 1, step_up: 'web' }],
    timeout_ms: 1,
    on_timeout: 'deny',
    justification_required: false,
  };
  const { blocks } = requestMessage(view({ approval }), 'https://cs.example');
  const actions = blocks.find((b) => b.type === 'actions');
  assert.ok(actions && actions.type === 'actions');
  assert.equal(actions.elements.length, 1);
  assert.deepEqual(
    {
      id:
        actions.elements[0] && 'action_id' in actions.elements[0] && actions.elements[0].action_id,
      url: actions.elements[0] && 'url' in actions.elements[0] && actions.elements[0].url,
    },
    { id: 'countersign.open:act_01test', url: 'https://cs.example/actions/act_01test' },
  );
});
