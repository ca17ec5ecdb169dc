import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DIRECTORY, dialects, indexedStore, startGateway, type TestGateway } from './harness.js';
import { MAX_JSON_DEPTH } from '../src/http/json-depth.js';

/**
 * OpenID AuthZEN Authorization API 1.0 (final) against a real gateway: the interop todo
 * decision tables, the spec's examples, the approval round trip, and the attacker's side.
 */

/**
 * The AuthZEN interop "todo" scenario, 1.0 edition: openid/authzen at e287920,
 * interop/authzen-todo-backend/test/decisions-authorization-api-1_0-02.json. Adapted to
 * Countersign: the subject is `{type: "agent", id: <the user's email>}` (the table's opaque
 * identity ids map to rick, morty, summer, beth, jerry in that order), and the scenario's
 * roles (rick admin; morty, summer editors; beth, jerry viewers) are this policy.
 */
const TODO_POLICY = `version: 1
defaults: { decision: deny }
rules:
  - id: anyone-reads
    match: { action: [can_read_user, can_read_todos] }
    decision: allow
  - id: editors-create
    match: { action: can_create_todo, agent: [rick@the-citadel.com, morty@the-citadel.com, summer@the-smiths.com] }
    decision: allow
  - id: admin-changes-any
    match: { action: [can_update_todo, can_delete_todo], agent: rick@the-citadel.com }
    decision: allow
  - id: editors-change-own
    match: { action: [can_update_todo, can_delete_todo], agent: [morty@the-citadel.com, summer@the-smiths.com] }
    when: context.authzen.resource.properties.ownerID == agent.id
    decision: allow
  # The API gateway scenario: an HTTP method on a route; viewers only read.
  - id: gateway-reads
    match: { action: GET, resource: "route:/*" }
    decision: allow
  - id: gateway-writes
    match: { action: [POST, PUT, DELETE], resource: "route:/*", agent: [rick@the-citadel.com, morty@the-citadel.com, summer@the-smiths.com] }
    decision: allow
`;

const RICK = 'rick@the-citadel.com';
const MORTY = 'morty@the-citadel.com';
const SUMMER = 'summer@the-smiths.com';
const BETH = 'beth@the-smiths.com';
const JERRY = 'jerry@the-smiths.com';
const TODO = (n: string) => `7240d0db-8ff0-41ec-98b2-34a096273b9${n}`;

/** [subject, action, resource type, resource id, ownerID, expected], in the file's order. */
type Row = [string, string, string, string, string | null, boolean];
/** Each subject's own todo in the file (rick's second row is morty's todo …b91). */
const SECOND: [string, string, string][] = [
  [RICK, TODO('1'), MORTY],
  [MORTY, TODO('1'), MORTY],
  [SUMMER, TODO('3'), SUMMER],
  [BETH, TODO('4'), BETH],
  [JERRY, TODO('5'), JERRY],
];
const TODO_TABLE: Row[] = SECOND.flatMap(([who, todo, owner]): Row[] => {
  const editor = who !== BETH && who !== JERRY;
  return [
    [who, 'can_read_user', 'user', BETH, null, true],
    [who, 'can_read_user', 'user', who, null, true],
    [who, 'can_read_todos', 'todo', 'todo-1', null, true],
    [who, 'can_create_todo', 'todo', 'todo-1', null, editor],
    [who, 'can_update_todo', 'todo', TODO('2'), RICK, who === RICK],
    [who, 'can_update_todo', 'todo', todo, owner, editor],
    [who, 'can_delete_todo', 'todo', TODO('2'), RICK, who === RICK],
    [who, 'can_delete_todo', 'todo', todo, owner, editor],
  ];
});

/**
 * The AuthZEN interop API gateway scenario: openid/authzen at e287920,
 * interop/authzen-api-gateways/test-harness/test/decisions.json (25 evaluations): each subject
 * (same order) asks for five routes; beth and jerry may only GET.
 */
const ROUTES: [string, string][] = [
  ['GET', '/users/{userId}'],
  ['GET', '/todos'],
  ['POST', '/todos'],
  ['PUT', '/todos/{todoId}'],
  ['DELETE', '/todos/{todoId}'],
];
const GATEWAY_TABLE: Row[] = [RICK, MORTY, SUMMER, BETH, JERRY].flatMap((who) =>
  ROUTES.map(([method, route]): Row => [
    who,
    method,
    'route',
    route,
    null,
    method === 'GET' || (who !== BETH && who !== JERRY),
  ]),
);

const evaluation = (row: Row) => ({
  subject: { type: 'agent', id: row[0] },
  action: { name: row[1] },
  resource: {
    type: row[2],
    id: row[3],
    ...(row[4] !== null ? { properties: { ownerID: row[4] } } : {}),
  },
});

describe('AuthZEN 1.0 interop todo scenario and spec examples', () => {
  let gw: TestGateway;
  let admin: string;
  let agent: string;
  let user: string;
  before(async () => {
    gw = await startGateway({
      policy: TODO_POLICY,
      directory: { ...DIRECTORY, agents: [...DIRECTORY.agents!, { id: MORTY, owners: ['dave'] }] },
    });
    admin = await gw.token('user', 'root');
    agent = await gw.token('agent', MORTY);
    user = await gw.token('user', 'alice');
  });
  after(() => gw.close());

  test('AuthZEN 1.0 §6: the interop todo decision table (40 evaluations), as an admin PEP', async () => {
    assert.equal(TODO_TABLE.length, 40);
    for (const row of TODO_TABLE) {
      const res = await gw.call('POST', '/access/v1/evaluation', {
        token: admin,
        body: evaluation(row),
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(res.body.decision, row[5], `${row[0]} ${row[1]} ${row[3]}`);
    }
    assert.equal(await gw.count('actions'), 0, 'an evaluation records no request');
  });

  test('AuthZEN 1.0 §6: the interop API gateway decision table (25 evaluations)', async () => {
    assert.equal(GATEWAY_TABLE.length, 25);
    for (const row of GATEWAY_TABLE) {
      const res = await gw.call('POST', '/access/v1/evaluation', {
        token: admin,
        body: evaluation(row),
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.decision, row[5], `${row[0]} ${row[1]} ${row[3]}`);
    }
  });

  test('AuthZEN 1.0 §7: the interop todo evaluations (defaults at the top level)', async () => {
    const cases: [string, [string, string][], boolean[]][] = [
      [
        RICK,
        [
          [TODO('2'), RICK],
          [TODO('5'), JERRY],
        ],
        [true, true],
      ],
      [
        MORTY,
        [
          [TODO('2'), RICK],
          [TODO('1'), MORTY],
        ],
        [false, true],
      ],
      [
        JERRY,
        [
          [TODO('2'), RICK],
          [TODO('5'), JERRY],
        ],
        [false, false],
      ],
    ];
    for (const [who, todos, expected] of cases) {
      const res = await gw.call('POST', '/access/v1/evaluations', {
        token: admin,
        body: {
          subject: { type: 'agent', id: who },
          action: { name: 'can_update_todo' },
          evaluations: todos.map(([id, owner]) => ({
            resource: { type: 'todo', id, properties: { ownerID: owner } },
          })),
        },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.decision, undefined, '§7.2: the top-level decision is omitted');
      assert.deepEqual(
        res.body.evaluations.map((d: { decision: boolean }) => d.decision),
        expected,
      );
    }
  });

  test('AuthZEN 1.0 §7.1.2.1: execute_all, deny_on_first_deny, permit_on_first_permit', async () => {
    // The spec's example shape: one subject and action, three resources: true, false, true.
    const body = (semantic?: string) => ({
      subject: { type: 'agent', id: MORTY },
      action: { name: 'can_update_todo' },
      ...(semantic ? { options: { evaluations_semantic: semantic, another_option: 'value' } } : {}),
      evaluations: [MORTY, RICK, MORTY].map((owner, i) => ({
        resource: { type: 'todo', id: String(i + 1), properties: { ownerID: owner } },
      })),
    });
    const decisions = async (semantic?: string) => {
      const res = await gw.call('POST', '/access/v1/evaluations', {
        token: agent,
        body: body(semantic),
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.evaluations.map((d: { decision: boolean }) => d.decision);
    };
    assert.deepEqual(await decisions(), [true, false, true], 'execute_all is the default');
    assert.deepEqual(await decisions('execute_all'), [true, false, true]);
    assert.deepEqual(await decisions('deny_on_first_deny'), [true, false]);
    assert.deepEqual(await decisions('permit_on_first_permit'), [true]);
    const bad = await gw.call('POST', '/access/v1/evaluations', {
      token: agent,
      body: body('first_come_first_served'),
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'invalid_request');
  });

  test('AuthZEN 1.0 §7.1.1: per-evaluation keys override the defaults; none missing', async () => {
    const res = await gw.call('POST', '/access/v1/evaluations', {
      token: agent,
      body: {
        subject: { type: 'agent', id: MORTY },
        action: { name: 'can_read_todos' },
        context: { time: '2024-05-31T15:22-07:00' },
        evaluations: [
          { resource: { type: 'todo', id: '1' } },
          { action: { name: 'can_delete_todo' }, resource: { type: 'todo', id: '2' } },
        ],
      },
    });
    assert.deepEqual(
      res.body.evaluations.map((d: { decision: boolean }) => d.decision),
      [true, false],
    );
    // §7.1: no `evaluations` array: one evaluation of the top-level keys, answered as §6.
    const single = await gw.call('POST', '/access/v1/evaluations', {
      token: agent,
      body: { ...evaluation([MORTY, 'can_read_todos', 'todo', '1', null, true]), evaluations: [] },
    });
    assert.equal(single.body.decision, true);
    // §10.1.1: a required key missing everywhere is a 400.
    const missing = await gw.call('POST', '/access/v1/evaluations', {
      token: agent,
      body: {
        action: { name: 'can_read_todos' },
        evaluations: [{ resource: { type: 't', id: '1' } }],
      },
    });
    assert.equal(missing.status, 400);
    assert.match(missing.body.detail, /evaluations\[0\]\.subject/);
  });

  test('AuthZEN 1.0 §10.1: the endpoints are in the OpenAPI document', async () => {
    const doc = (await gw.call('GET', '/openapi.json')).body;
    assert.ok(doc.paths['/access/v1/evaluation'].post);
    assert.ok(doc.paths['/access/v1/evaluations'].post);
    assert.deepEqual(doc.paths['/.well-known/authzen-configuration'].get.security, []);
  });

  test('AuthZEN 1.0 §9: metadata at /.well-known/authzen-configuration, without a token', async () => {
    const res = await gw.call('GET', '/.well-known/authzen-configuration');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.match(res.headers.get('cache-control') ?? '', /max-age=/);
    // §9.2.3: the identifier is the URL the well-known path was appended to.
    assert.deepEqual(res.body, {
      policy_decision_point: 'http://localhost:0',
      access_evaluation_endpoint: 'http://localhost:0/access/v1/evaluation',
      access_evaluations_endpoint: 'http://localhost:0/access/v1/evaluations',
    });
  });

  test('AuthZEN 1.0 §10.1.1: unknown members are ignored; §10.1.3: X-Request-ID echoed', async () => {
    const res = await gw.call('POST', '/access/v1/evaluation', {
      token: agent,
      headers: { 'x-request-id': 'bfe9eb29-ab87-4ca3-be83-a1d5d8305716' },
      body: {
        subject: { type: 'agent', id: MORTY, identity: 'CiRmZDE2' },
        action: { name: 'can_read_user', extra: 1 },
        resource: { type: 'user', id: BETH, userID: BETH },
        unknown: true,
      },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.decision, true);
    assert.equal(res.headers.get('x-request-id'), 'bfe9eb29-ab87-4ca3-be83-a1d5d8305716');
    const refused = await gw.call('POST', '/access/v1/evaluation', {
      headers: { 'x-request-id': 'pep-1' },
      body: {},
    });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('x-request-id'), 'pep-1', 'refusals echo it too');
    // Not an identifier worth echoing (a space, over-long): the gateway's own id instead.
    for (const given of ['a b', 'x'.repeat(201)]) {
      const own = await gw.call('POST', '/access/v1/evaluation', {
        token: agent,
        headers: { 'x-request-id': given },
        body: evaluation([MORTY, 'can_read_todos', 'todo', '1', null, true]),
      });
      assert.match(own.headers.get('x-request-id') ?? '', /^req_/);
    }
  });

  /** A refusal: 4xx problem+json with a stable code, audited, and nothing stored. */
  async function refused(
    status: number,
    code: string,
    path: string,
    options: Parameters<TestGateway['call']>[2],
  ): Promise<void> {
    const before = await gw.count('actions');
    const res = await gw.call('POST', path, options);
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(res.body.code, code);
    assert.equal(await gw.count('actions'), before, 'nothing stored');
    const rows = await (
      await indexedStore(gw)
    )
      .selectFrom('audit_entries')
      .select('entry')
      .where('type', '=', 'api.refused')
      .orderBy('idx', 'desc')
      .limit(1)
      .execute();
    const last = JSON.parse(rows[0].entry) as { data: { code: string; route: string } };
    assert.equal(last.data.code, code, 'the refusal is audited');
    assert.equal(last.data.route, path);
  }

  test('AuthZEN 1.0 §11.3: no token is a 401 with WWW-Authenticate', async () => {
    const res = await gw.call('POST', '/access/v1/evaluation', {
      body: evaluation(TODO_TABLE[0]),
    });
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
    await refused(401, 'unauthenticated', '/access/v1/evaluation', {
      body: evaluation(TODO_TABLE[0]),
    });
  });

  test('AuthZEN 1.0 §11.2: an agent cannot evaluate for another subject, alone or in a batch', async () => {
    await refused(403, 'forbidden', '/access/v1/evaluation', {
      token: agent,
      body: evaluation([RICK, 'can_delete_todo', 'todo', '1', RICK, true]),
    });
    await refused(403, 'forbidden', '/access/v1/evaluations', {
      token: agent,
      body: {
        action: { name: 'can_read_todos' },
        resource: { type: 'todo', id: '1' },
        evaluations: [
          { subject: { type: 'agent', id: MORTY } },
          { subject: { type: 'agent', id: RICK } },
        ],
      },
    });
    // A reviewer is no PEP: users other than admins are refused, as for the dry run.
    await refused(403, 'forbidden', '/access/v1/evaluation', {
      token: user,
      body: evaluation([MORTY, 'can_read_todos', 'todo', '1', null, true]),
    });
  });

  test('AuthZEN 1.0 §10.1.1, §11.7: malformed, unmappable, oversize and deep bodies refused', async () => {
    const path = '/access/v1/evaluation';
    await refused(400, 'malformed_json', path, { token: agent, raw: '{"subject":' });
    await refused(400, 'invalid_request', path, {
      token: agent,
      body: { subject: { type: 'agent', id: MORTY } },
    });
    await refused(400, 'invalid_request', path, {
      token: agent,
      body: {
        ...evaluation([MORTY, 'can_read_todos', 'todo', '1', null, true]),
        subject: { type: 'user', id: MORTY },
      },
    });
    await refused(400, 'invalid_request', path, {
      token: agent,
      body: evaluation([MORTY, 'can read\nApproved', 'todo', '1', null, true]),
    });
    await refused(400, 'invalid_request', path, {
      token: agent,
      body: evaluation([MORTY, 'can_read_todos', 'todo', 'x\u202Eexe', null, true]),
    });
    await refused(400, 'invalid_request', path, {
      token: agent,
      body: {
        ...evaluation([MORTY, 'can_read_todos', 'todo', '1', null, true]),
        context: { approval: 'x' },
      },
    });
    await refused(400, 'invalid_request', path, {
      token: agent,
      raw: `{"subject":{"type":"agent","id":"${MORTY}"},"action":{"name":"a"},"resource":{"type":"t","id":"1"},"context":{"x":${'['.repeat(MAX_JSON_DEPTH + 5)}${']'.repeat(MAX_JSON_DEPTH + 5)}}}`,
    });
    await refused(413, 'body_too_large', path, {
      token: agent,
      body: {
        ...evaluation([MORTY, 'can_read_todos', 'todo', '1', null, true]),
        context: { x: 'x'.repeat(2_000_000) },
      },
    });
    await refused(400, 'invalid_request', '/access/v1/evaluations', {
      token: agent,
      body: {
        subject: { type: 'agent', id: MORTY },
        action: { name: 'can_read_todos' },
        evaluations: Array.from({ length: 65 }, (_, i) => ({
          resource: { type: 'todo', id: String(i) },
        })),
      },
    });
  });
});

const bigExport = {
  subject: { type: 'agent', id: 'exporter' },
  action: { name: 'db.export', properties: { rows: 20000 } },
  resource: { type: 'postgres', id: '//prod/customers' },
  context: { environment: 'production', justification: 'churn analysis' },
};

for (const dialect of await dialects()) {
  describe(`AuthZEN 1.0 approval round trip (${dialect})`, () => {
    let gw: TestGateway;
    let skewMs = 0;
    const tokens = new Map<string, string>();
    const t = (id: string) => tokens.get(id)!;
    before(async () => {
      gw = await startGateway({ dialect, now: () => Date.now() + skewMs });
      for (const u of DIRECTORY.users ?? []) tokens.set(u.id, await gw.token('user', u.id));
      for (const a of DIRECTORY.agents ?? []) tokens.set(a.id, await gw.token('agent', a.id));
    });
    after(() => gw.close());

    const evaluate = async (body: unknown, as = 'exporter') => {
      const res = await gw.call('POST', '/access/v1/evaluation', { token: t(as), body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as { decision: boolean; context: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- asserted field by field
    };

    test('AuthZEN 1.0 §5.5 + Access Request profile: require_approval is a requestable denial; approve; the same evaluation is true with the grant', async () => {
      const first = await evaluate(bigExport);
      assert.equal(first.decision, false);
      assert.equal(first.context.reason, 'approval_required');
      assert.equal(first.context.next_action, 'request');
      assert.match(first.context.digest, /^sha256:[0-9a-f]{64}$/);
      const hint = first.context.access_request;
      assert.equal(hint.endpoint, 'http://localhost:0/v1/actions');
      assert.equal(hint.method, 'POST');
      assert.equal(hint.binding.digest, first.context.digest);
      assert.ok(Date.parse(hint.expires_at) > Date.now());
      // Idempotent: evaluating again names the same request and creates nothing.
      const again = await evaluate(bigExport);
      assert.deepEqual(again.context.access_request.body, hint.body);
      assert.equal(again.context.evaluation_id, first.context.evaluation_id);
      assert.equal(await gw.count('actions'), 0);

      // The agent creates the request as told, twice: one request.
      const created = await gw.call('POST', '/v1/actions', {
        token: t('exporter'),
        body: hint.body,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.digest, first.context.digest, 'bound to the evaluated action');
      const twice = await gw.call('POST', '/v1/actions', { token: t('exporter'), body: hint.body });
      assert.equal(twice.body.id, created.body.id);
      assert.equal(await gw.count('actions'), 1);

      const pending = await evaluate(bigExport);
      assert.equal(pending.decision, false);
      assert.equal(pending.context.reason, 'approval_pending');
      assert.equal(pending.context.task.id, created.body.id);
      assert.equal(pending.context.next_action, 'retry');

      // Separation of duties: bob owns the agent and is a data owner; he still cannot approve.
      const self = await gw.call('POST', `/v1/actions/${created.body.id}/votes`, {
        token: t('bob'),
        body: { vote: 'approve' },
      });
      assert.equal(self.status, 403);
      assert.equal(self.body.code, 'self_approval_forbidden');
      for (const who of ['alice', 'frank']) {
        const v = await gw.call('POST', `/v1/actions/${created.body.id}/votes`, {
          token: t(who),
          body: { vote: 'approve' },
        });
        assert.equal(v.status, 200, JSON.stringify(v.body));
      }

      const approved = await evaluate(bigExport);
      assert.equal(approved.decision, true, JSON.stringify(approved.context));
      assert.equal(approved.context.approval.id, created.body.id);
      const grant = approved.context.grant.token as string;
      const verified = await gw.call('POST', '/v1/grants/verify', {
        body: {
          grant,
          action: 'db.export',
          resource: 'postgres://prod/customers',
          environment: 'production',
          params: { rows: 20000 },
        },
      });
      assert.equal(verified.status, 200, JSON.stringify(verified.body));
      // The profile's re-evaluation with the approval reference answers the same.
      const byRef = await evaluate({
        ...bigExport,
        context: { ...bigExport.context, approval: { id: created.body.id, state: grant } },
      });
      assert.equal(byRef.decision, true);
      // An admin PEP learns the decision, never the bearer grant.
      const asAdmin = await gw.call('POST', '/access/v1/evaluation', {
        token: t('root'),
        body: bigExport,
      });
      assert.equal(asAdmin.body.decision, true);
      assert.equal(asAdmin.body.context.grant, undefined);

      // Attacker: a forged grant, another agent's reference, another action under the reference.
      const forged = await evaluate({
        ...bigExport,
        context: { ...bigExport.context, approval: { id: created.body.id, state: `${grant}x` } },
      });
      assert.equal(forged.decision, false);
      assert.equal(forged.context.reason, 'approval_unverifiable');
      const stolen = await evaluate(
        {
          ...bigExport,
          subject: { type: 'agent', id: 'deployer' },
          context: { ...bigExport.context, approval: { id: created.body.id } },
        },
        'deployer',
      );
      assert.equal(stolen.decision, false);
      assert.equal(stolen.context.reason, 'approval_unverifiable');
      assert.equal(stolen.context.grant, undefined);
      const widened = await evaluate({
        ...bigExport,
        action: { name: 'db.export', properties: { rows: 90000 } },
        context: { ...bigExport.context, approval: { id: created.body.id } },
      });
      assert.equal(widened.decision, false);
      assert.equal(widened.context.reason, 'out_of_scope');

      // Time: once the grant has expired (15 min by default), the approval no longer permits.
      skewMs = 16 * 60_000;
      const late = await evaluate({
        ...bigExport,
        context: { ...bigExport.context, approval: { id: created.body.id } },
      });
      assert.equal(late.decision, false);
      assert.equal(late.context.reason, 'approval_expired');
      skewMs = 0;
      assert.equal(await gw.count('actions'), 1, 'no evaluation created a request');

      // Every answer is evidence: who asked, about which agent and exact action, what was said.
      const rows = await (
        await indexedStore(gw)
      )
        .selectFrom('audit_entries')
        .select('entry')
        .where('type', '=', 'authzen.evaluated')
        .orderBy('idx')
        .execute();
      const entries = rows.map((r) => JSON.parse(r.entry));
      assert.equal(entries.length, 10, 'one per evaluation above');
      const yes = entries.find((e) => e.data.decision === true && e.actor.id === 'exporter');
      assert.equal(yes.request_id, created.body.id);
      assert.deepEqual(yes.data, {
        agent: 'exporter',
        action: 'db.export',
        resource: 'postgres://prod/customers',
        environment: 'production',
        digest: first.context.digest,
        decision: true,
        reason: null,
        rules: ['prod-large-export'],
        policy_version: first.context.policy_version,
      });
      assert.equal(entries[0].data.reason, 'approval_required');
      assert.equal(entries.at(-1).data.reason, 'approval_expired');

      // A reference to no request at all gets the very answer another agent's reference got
      // (a probe learns nothing about which), permits nothing while the real approval is
      // live, and is audited like every answer.
      const unknown = await evaluate({
        ...bigExport,
        context: { ...bigExport.context, approval: { id: 'act_does_not_exist' } },
      });
      assert.equal(unknown.decision, false);
      assert.equal(unknown.context.reason, 'approval_unverifiable');
      assert.equal(unknown.context.message, stolen.context.message);
      assert.equal(unknown.context.grant, undefined);
      const lastEntry = await (
        await indexedStore(gw)
      )
        .selectFrom('audit_entries')
        .select('entry')
        .where('type', '=', 'authzen.evaluated')
        .orderBy('idx', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow();
      assert.equal(JSON.parse(lastEntry.entry).data.reason, 'approval_unverifiable');
      assert.equal(await gw.count('actions'), 1, 'nothing stored');
    });

    test('AuthZEN 1.0 §6 + Access Request profile: one request per window; a denial is not re-offered until the next; a redeemed grant is spent', async () => {
      const W = 30 * 60_000; // prod-large-export's approval timeout (the policy default)
      const at = (ms: number) => {
        skewMs = ms - Date.now();
      };
      const k = Math.floor(Date.now() / W) + 1;
      at(k * W + 60_000); // one minute into a window
      const ev = { ...bigExport, action: { name: 'db.export', properties: { rows: 30000 } } };
      const first = await evaluate(ev);
      const req = await gw.call('POST', '/v1/actions', {
        token: t('exporter'),
        body: first.context.access_request.body,
      });
      assert.equal(req.status, 201);
      // An admin PEP learns why, but only the agent can create the request.
      const asAdmin = await gw.call('POST', '/access/v1/evaluation', {
        token: t('root'),
        body: ev,
      });
      assert.equal(asAdmin.body.context.reason, 'approval_pending');

      // The next window still finds the live request of the previous one.
      at((k + 1) * W + 30_000);
      const next = await evaluate(ev);
      assert.equal(next.context.reason, 'approval_pending');
      assert.equal(next.context.task.id, req.body.id);
      // Denied: in the next window a fresh request is offered, under a new key.
      const no = await gw.call('POST', `/v1/actions/${req.body.id}/votes`, {
        token: t('alice'),
        body: { vote: 'deny', comment: 'not this quarter' },
      });
      assert.equal(no.body.status, 'denied');
      const fresh = await evaluate(ev);
      assert.equal(fresh.context.reason, 'approval_required');
      assert.notEqual(fresh.context.evaluation_id, first.context.evaluation_id);
      const admin = await gw.call('POST', '/access/v1/evaluation', { token: t('root'), body: ev });
      assert.equal(admin.body.context.reason, 'approval_required');
      assert.equal(admin.body.context.access_request, undefined);
      assert.equal(admin.body.context.next_action, 'none');

      // Denied again within its own window: the denial stands until the window ends.
      const second = await gw.call('POST', '/v1/actions', {
        token: t('exporter'),
        body: fresh.context.access_request.body,
      });
      await gw.call('POST', `/v1/actions/${second.body.id}/votes`, {
        token: t('frank'),
        body: { vote: 'deny' },
      });
      const stands = await evaluate(ev);
      assert.equal(stands.decision, false);
      assert.equal(stands.context.reason, 'approval_denied');
      assert.equal(stands.context.next_action, 'retry');
      assert.equal(
        stands.context.retry_after,
        ((k + 2) * W) / 1000 - ((k + 1) * W + 30_000) / 1000,
      );

      // A third window: approved, redeemed once, then spent.
      at((k + 2) * W + 10_000);
      const third = await evaluate(ev);
      const created = await gw.call('POST', '/v1/actions', {
        token: t('exporter'),
        body: third.context.access_request.body,
      });
      for (const who of ['alice', 'frank']) {
        await gw.call('POST', `/v1/actions/${created.body.id}/votes`, {
          token: t(who),
          body: { vote: 'approve' },
        });
      }
      const yes = await evaluate(ev);
      assert.equal(yes.decision, true);
      const redeemed = await gw.call('POST', '/v1/grants/redeem', {
        token: t('exporter'),
        body: { grant: yes.context.grant.token },
      });
      assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
      const spent = await evaluate(ev);
      assert.equal(spent.decision, false);
      assert.equal(spent.context.reason, 'grant_used');
      skewMs = 0;
    });

    test('AuthZEN 1.0 §6 + Access Request profile: an approval never serves the person who approved it (on_behalf_of is in scope)', async () => {
      // frank is named as the person the agent acts for, so frank may never approve. The agent
      // submits the hint with someone else named instead; frank approves that one.
      const ev = {
        ...bigExport,
        action: { name: 'db.export', properties: { rows: 40000 } },
        context: { ...bigExport.context, on_behalf_of: 'frank' },
      };
      const hint = (await evaluate(ev)).context.access_request.body;
      assert.equal(hint.on_behalf_of, 'frank');
      const tampered = await gw.call('POST', '/v1/actions', {
        token: t('exporter'),
        body: { ...hint, on_behalf_of: 'carol' },
      });
      assert.equal(tampered.status, 201);
      for (const who of ['alice', 'frank']) {
        const v = await gw.call('POST', `/v1/actions/${tampered.body.id}/votes`, {
          token: t(who),
          body: { vote: 'approve' },
        });
        assert.equal(v.status, 200, JSON.stringify(v.body));
      }
      const byKey = await evaluate(ev);
      assert.equal(byKey.decision, false);
      assert.equal(byKey.context.reason, 'out_of_scope');
      assert.equal(byKey.context.grant, undefined);
      const byRef = await evaluate({
        ...ev,
        context: { ...ev.context, approval: { id: tampered.body.id } },
      });
      assert.equal(byRef.decision, false);
      assert.equal(byRef.context.reason, 'out_of_scope');
      // For carol, as approved, it is the approval it is.
      const asApproved = await evaluate({
        ...ev,
        context: { ...ev.context, on_behalf_of: 'carol', approval: { id: tampered.body.id } },
      });
      assert.equal(asApproved.decision, true);
    });

    test('AuthZEN 1.0 §5.5: deny is false with the policy reason; allow is true', async () => {
      const denied = await evaluate({
        subject: { type: 'agent', id: 'exporter' },
        action: { name: 'db.ddl.drop' },
        resource: { type: 'postgres', id: '//prod/customers' },
        context: { environment: 'production' },
      });
      assert.equal(denied.decision, false);
      assert.equal(denied.context.reason, 'policy_denied');
      assert.equal(denied.context.message, 'Agents never run DDL on production');
      assert.equal(denied.context.access_request, undefined, 'a deny is not requestable');
      const allowed = await evaluate({
        subject: { type: 'agent', id: 'exporter' },
        action: { name: 'db.export', properties: { rows: 10 } },
        resource: { type: 'postgres', id: '//prod/customers' },
      });
      assert.equal(allowed.decision, true);
      assert.deepEqual(allowed.context.rules, ['small-export']);
    });
  });
}
