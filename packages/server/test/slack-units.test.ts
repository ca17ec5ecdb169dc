import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CountersignError } from '@countersign/core';
import { ConfigError, resolveConfig } from '../src/index.js';
import { signSlackRequest, verifySlackSignature } from '../src/channels/slack/index.js';
import { requestMessage } from '../src/channels/slack/slack-blocks.js';
import type { RequestView } from '../src/views/request-view.js';
import { mrkdwn } from '../src/channels/slack/slack-text.js';
import { DIRECTORY } from './harness.js';

// Slack's worked example (https://docs.slack.dev/authentication/verifying-requests-from-slack).
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_TS = 1531420618;
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const DOC_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

const reasonOf = (run: () => unknown): unknown => {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof CountersignError);
    assert.equal(e.code, 'invalid_signature');
    return e.extra.reason;
  }
  assert.fail('verified');
};

test("Slack's published example signs and verifies", () => {
  assert.equal(signSlackRequest(DOC_SECRET, DOC_TS, DOC_BODY), DOC_SIGNATURE);
  const body = Buffer.from(DOC_BODY);
  const at = DOC_TS * 1000 + 60_000;
  const ok = verifySlackSignature(
    DOC_SECRET,
    { signature: DOC_SIGNATURE, timestamp: String(DOC_TS) },
    body,
    at,
  );
  assert.equal(ok.timestamp, DOC_TS);
  // Upper-case hex is the same MAC.
  const upper = `v0=${DOC_SIGNATURE.slice(3).toUpperCase()}`;
  verifySlackSignature(DOC_SECRET, { signature: upper, timestamp: String(DOC_TS) }, body, at);
});

test('a bad, missing, malformed or out-of-window signature is refused with its reason', () => {
  const body = Buffer.from(DOC_BODY);
  const ts = String(DOC_TS);
  const at = DOC_TS * 1000;
  const verify = (
    signature: string | undefined,
    timestamp: string | undefined,
    b = body,
    now = at,
  ) => reasonOf(() => verifySlackSignature(DOC_SECRET, { signature, timestamp }, b, now));
  assert.equal(verify(undefined, ts), 'missing');
  assert.equal(verify(DOC_SIGNATURE, undefined), 'missing');
  assert.equal(verify('v1=abc', ts), 'malformed');
  assert.equal(verify(DOC_SIGNATURE, '15314206.18'), 'malformed');
  assert.equal(verify(DOC_SIGNATURE, ts, Buffer.from(`${DOC_BODY}&x=1`)), 'mismatch');
  assert.equal(
    reasonOf(() =>
      verifySlackSignature(
        'another-secret-of-32-characters!',
        { signature: DOC_SIGNATURE, timestamp: ts },
        body,
        at,
      ),
    ),
    'mismatch',
  );
  assert.equal(verify(DOC_SIGNATURE, ts, body, at + 301_000), 'stale');
  assert.equal(verify(DOC_SIGNATURE, ts, body, at - 301_000), 'stale'); // from the future
  // Within ±300 s both ways is fine.
  verifySlackSignature(DOC_SECRET, { signature: DOC_SIGNATURE, timestamp: ts }, body, at + 299_000);
  verifySlackSignature(DOC_SECRET, { signature: DOC_SIGNATURE, timestamp: ts }, body, at - 299_000);
});

const view = (overrides: Partial<RequestView> = {}): RequestView => ({
  id: 'act_01test',
  status: 'pending',
  decision: 'require_approval',
  reason: 'needs approval: prod-large-export (2 of data-owners)',
  message: '',
  rules: ['prod-large-export'],
  digest: 'sha256:00',
  policy_version: 'sha256:00',
  agent: { id: 'exporter' },
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 25000 },
  justification: null,
  risk: 'low',
  on_behalf_of: null,
  context: null,
  callback_url: null,
  idempotency_key: null,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  expires_at: '2026-01-01T00:30:00.000Z',
  decided_at: null,
  approval: {
    clauses: [{ rule: 'prod-large-export', from: ['data-owners'], groups: [], quorum: 2 }],
    timeout_ms: 1,
    on_timeout: 'deny',
    justification_required: false,
  },
  progress: {
    satisfied: false,
    clauses: [
      { rule: 'prod-large-export', quorum: 2, approvals: 0, satisfied: false, missing: [] },
    ],
  },
  escalated_rules: [],
  break_glass: false,
  votes: [],
  explanation: [
    {
      rule: 'prod-large-export',
      outcome: 'matched',
      effect: 'require_approval',
      detail: 'matched action db.export',
    },
  ],
  result: null,
  ...overrides,
});

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
  assert.ok(message.includes('&lt;!channel&gt;'), 'shown escaped');
  assert.equal(mrkdwn('a & <b>', 100), 'a &amp; &lt;b&gt;');
});

test('the message has the context, the params, a link and Approve/Deny while pending', () => {
  const { blocks, text } = requestMessage(
    view({ risk: 'high', justification: 'Quarterly churn' }),
    'https://cs.example/',
  );
  const json = JSON.stringify(blocks);
  assert.match(text, /db\.export on postgres:\/\/prod\/customers/);
  assert.equal(blocks[0]?.type, 'header');
  assert.match(json, /Approval needed: db\.export · high risk/);
  for (const s of [
    '*Agent*',
    'exporter',
    '*Resource*',
    '*Environment*',
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
  assert.match(json, /\*frank\* denied <!date\^1767225900\^/);
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

test('channels.slack configuration errors stop the gateway from starting', () => {
  const resolve = (slack: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
    try {
      resolveConfig(
        {
          directory: {
            ...DIRECTORY,
            users: [
              { id: 'a', slack_id: 'U1' },
              { id: 'b', slack_id: 'U1' },
            ],
          },
          policy: 'p.yaml',
          channels: { slack },
        },
        '/tmp',
        env,
      );
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.problems.join('\n');
    }
    return '';
  };
  const problems = resolve({ bot_token: 'xapp-wrong', group_channels: { nobody: ['C1234'] } });
  assert.match(problems, /bot token must start with xoxb-/);
  assert.match(problems, /HTTP mode needs the signing secret/);
  assert.match(problems, /unknown group "nobody"/);
  assert.match(problems, /"a" and "b" have the same slack_id/);
  assert.match(
    resolve({ mode: 'socket', bot_token: 'xoxb-1' }),
    /Socket Mode needs an app-level token/,
  );
  assert.match(resolve({ bot_token_env: 'MY_BOT' }), /environment variable MY_BOT is not set/);
  // Slack's own variable names win over the file.
  const fromEnv = resolve(
    { bot_token: 'nope' },
    { SLACK_BOT_TOKEN: 'xoxb-env', SLACK_SIGNING_SECRET: 'a-signing-secret-long-enough' },
  );
  assert.doesNotMatch(fromEnv, /bot token|signing secret/);
});
