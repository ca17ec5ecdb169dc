import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bigBody, startGateway, type TestGateway, indexedStore } from './harness.js';
import { MAX_JSON_DEPTH } from '../src/http/json-depth.js';
import { asSession, signIn } from './web-harness.js';

/**
 * Attacker's-side tests for the agent API: every refusal is a 4xx problem+json with a stable
 * code, and nothing is stored.
 */
describe('refusals', () => {
  let gw: TestGateway;
  let agent: string;
  let user: string;
  let admin: string;
  const good = { action: 'db.export', resource: 'pg://x', params: { rows: 1 } };

  before(async () => {
    gw = await startGateway({ bodyLimit: 16 * 1024 });
    agent = await gw.token('agent', 'exporter');
    user = await gw.token('user', 'alice');
    admin = await gw.token('user', 'root');
  });
  after(() => gw.close());

  async function refused(
    expectStatus: number,
    expectCode: string,
    req: Parameters<TestGateway['call']>,
  ): Promise<void> {
    const before = await gw.count('actions');
    const res = await gw.call(...req);
    assert.equal(res.status, expectStatus, JSON.stringify(res.body));
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(res.body.code, expectCode);
    assert.equal(res.body.status, expectStatus);
    assert.equal(res.body.type, `urn:countersign:problem:${expectCode}`);
    assert.equal(typeof res.body.detail, 'string');
    assert.equal(await gw.count('actions'), before, 'nothing stored');
  }

  test('malformed JSON', () =>
    refused(400, 'malformed_json', [
      'POST',
      '/v1/actions',
      { token: agent, raw: '{"action": "db.export",' },
    ]));

  test('an empty JSON body', () =>
    refused(400, 'malformed_json', ['POST', '/v1/actions', { token: agent, raw: '' }]));

  test('a JSON array instead of an object', () =>
    refused(400, 'invalid_request', ['POST', '/v1/actions', { token: agent, body: [good] }]));

  test('wrong types are not coerced', async () => {
    await refused(400, 'invalid_request', [
      'POST',
      '/v1/actions',
      { token: agent, body: { ...good, action: 42 } },
    ]);
    await refused(400, 'invalid_request', [
      'POST',
      '/v1/actions',
      { token: agent, body: { ...good, params: 'rows=1' } },
    ]);
    await refused(400, 'invalid_request', [
      'POST',
      '/v1/actions',
      { token: agent, body: { ...good, risk: 'extreme' } },
    ]);
  });

  test('a value outside a fixed set names the allowed values once', async () => {
    const res = await gw.call('POST', '/v1/actions', {
      token: agent,
      body: { ...good, risk: 'extreme' },
    });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.code, 'invalid_request');
    assert.deepEqual(res.body.errors, [
      { path: 'body/risk', message: 'must be one of low, medium, high, critical' },
    ]);
    // Several fields wrong at once: one line each, still named by path.
    const vote = await gw.call('POST', '/v1/actions', {
      token: agent,
      body: { ...good, risk: 'extreme', params: 'rows=1' },
    });
    assert.deepEqual(vote.body.errors, [
      { path: 'body/params', message: 'must be object' },
      { path: 'body/risk', message: 'must be one of low, medium, high, critical' },
    ]);
  });

  test('missing required fields', () =>
    refused(400, 'invalid_request', [
      'POST',
      '/v1/actions',
      { token: agent, body: { action: 'db.export' } },
    ]));

  test('unknown fields are refused, with the field named', async () => {
    const res = await gw.call('POST', '/v1/actions', {
      token: agent,
      body: { ...good, aprove: true },
    });
    assert.equal(res.status, 400);
    assert.ok(JSON.stringify(res.body.errors).includes('aprove'));
    await refused(400, 'invalid_request', [
      'POST',
      '/v1/actions',
      { token: agent, body: { ...good, aprove: true } },
    ]);
  });

  test('prototype-poisoning keys', () =>
    refused(400, 'malformed_json', [
      'POST',
      '/v1/actions',
      { token: agent, raw: '{"action":"db.export","resource":"x","__proto__":{"admin":true}}' },
    ]));

  test('a body over the limit', () =>
    refused(413, 'body_too_large', [
      'POST',
      '/v1/actions',
      { token: agent, body: bigBody(32 * 1024) },
    ]));

  test('a body that is not JSON', () =>
    refused(415, 'unsupported_media_type', [
      'POST',
      '/v1/actions',
      {
        token: agent,
        raw: 'action=db.export',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
    ]));

  test('an action name that is not a dotted identifier', () =>
    refused(400, 'invalid_request', [
      'POST',
      '/v1/actions',
      { token: agent, body: { ...good, action: 'db export; rm -rf' } },
    ]));

  test('no token, a malformed header, an unknown token', async () => {
    await refused(401, 'unauthenticated', ['POST', '/v1/actions', { body: good }]);
    await refused(401, 'unauthenticated', [
      'POST',
      '/v1/actions',
      { body: good, headers: { authorization: 'Basic YTpi' } },
    ]);
    await refused(401, 'invalid_token', [
      'POST',
      '/v1/actions',
      { token: 'not-a-token', body: good },
    ]);
    await refused(401, 'invalid_token', [
      'POST',
      '/v1/actions',
      { token: `csa_${'A'.repeat(43)}`, body: good },
    ]);
  });

  test('a revoked token', async () => {
    const created = await gw.gateway.tokens.create('agent', 'exporter');
    const ok = await gw.call('POST', '/v1/actions', { token: created.token, body: good });
    assert.equal(ok.status, 201);
    await gw.gateway.tokens.revoke(created.id);
    await refused(401, 'token_revoked', [
      'POST',
      '/v1/actions',
      { token: created.token, body: good },
    ]);
  });

  test('an agent token on reviewer and admin endpoints', async () => {
    await refused(403, 'forbidden', ['GET', '/v1/actions?status=pending', { token: agent }]);
    await refused(403, 'forbidden', [
      'POST',
      '/v1/policy/evaluate',
      { token: agent, body: { ...good, agent: 'deployer' } },
    ]);
  });

  test('a user token on agent endpoints', async () => {
    await refused(403, 'forbidden', ['POST', '/v1/actions', { token: user, body: good }]);
    await refused(403, 'forbidden', ['POST', '/v1/actions', { token: admin, body: good }]);
  });

  test('unknown endpoints and ids', async () => {
    await refused(404, 'not_found', ['GET', '/v1/nothing-here', {}]);
    await refused(404, 'not_found', ['GET', '/v1/actions/act_doesnotexist', { token: agent }]);
    await refused(400, 'invalid_request', ['GET', '/v1/actions/bad%20id', { token: agent }]);
  });

  test('bad query parameters', async () => {
    await refused(400, 'invalid_request', ['GET', '/v1/actions?status=bogus', { token: user }]);
    await refused(400, 'invalid_request', ['GET', '/v1/actions?limit=100000', { token: user }]);
  });

  /** `n` nested arrays. */
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

  /** The newest `api.refused` audit entries, parsed. */
  async function refusalsRecorded(): Promise<
    { actor: { kind: string; id: string }; data: { code: string; route: string } }[]
  > {
    const rows = await (
      await indexedStore(gw)
    )
      .selectFrom('audit_entries')
      .select('entry')
      .where('type', '=', 'api.refused')
      .orderBy('idx')
      .execute();
    return rows.map((r) => JSON.parse(r.entry));
  }

  describe('the grammar of action, resource, environment and on_behalf_of', () => {
    const badResources: Record<string, string> = {
      newline: 'pg://prod/customers\n*Votes* approved',
      'carriage return': 'pg://prod\rx',
      tab: 'pg://prod\tx',
      nul: 'pg://prod\u0000x',
      escape: 'pg://prod\u001b[31m',
      'line separator': 'pg://prod\u2028x',
      'bidi override': 'invoice\u202Egpj.exe',
      'bidi isolate': 'pg://\u2066prod\u2069',
      'zero width': 'pg://pro\u200Bd',
      'byte order mark': '\uFEFFpg://prod',
      'lone surrogate': 'pg://prod/\uD83D',
      'leading space': ' pg://prod',
      'trailing space': 'pg://prod ',
      'two spaces': 'pg://prod  x',
      'no-break space': 'pg://prod\u00A0x',
      'over 1000 characters': `pg://${'x'.repeat(1000)}`,
    };
    for (const [name, resource] of Object.entries(badResources)) {
      test(`resource with ${name}`, () =>
        refused(400, 'invalid_request', [
          'POST',
          '/v1/actions',
          { token: agent, body: { ...good, resource } },
        ]));
    }

    const badActions: Record<string, string> = {
      'trailing newline': 'db.export\n',
      'inner newline': 'db.export\nadmin.grant',
      'empty segment': 'db..export',
      'bidi override': 'db.\u202Etropxe',
      'over 200 characters': `db.${'x'.repeat(200)}`,
    };
    for (const [name, action] of Object.entries(badActions)) {
      test(`action with ${name}`, () =>
        refused(400, 'invalid_request', [
          'POST',
          '/v1/actions',
          { token: agent, body: { ...good, action } },
        ]));
    }

    test('environment and on_behalf_of with a newline', async () => {
      await refused(400, 'invalid_request', [
        'POST',
        '/v1/actions',
        { token: agent, body: { ...good, environment: 'production\n' } },
      ]);
      await refused(400, 'invalid_request', [
        'POST',
        '/v1/actions',
        { token: agent, body: { ...good, on_behalf_of: 'alice\nbob' } },
      ]);
      await refused(400, 'invalid_request', [
        'POST',
        '/v1/actions',
        { token: agent, body: { ...good, on_behalf_of: 'alice\u202E' } },
      ]);
    });

    test('the same grammar on policy evaluate and grant checks', async () => {
      await refused(400, 'invalid_request', [
        'POST',
        '/v1/policy/evaluate',
        { token: agent, body: { ...good, resource: 'pg://x\ny' } },
      ]);
      await refused(400, 'invalid_request', [
        'POST',
        '/v1/grants/verify',
        { body: { grant: 'x.y.z', action: 'db.export', resource: 'pg://x\ny' } },
      ]);
      await refused(400, 'invalid_request', [
        'POST',
        '/v1/grants/redeem',
        { body: { grant: 'x.y.z', action: 'db.export\n', resource: 'pg://x' } },
      ]);
    });

    test('every documented and shipped shape stays valid', async () => {
      const valid: [string, string][] = [
        ['db.export', 'postgres://prod/customers'],
        ['k8s.rollout.restart', 'k8s://prod/payments/deploy/api'],
        ['mcp.github.create_pull_request', 'mcp://github/create_pull_request'],
        ['mcp.fx.repo_delete', `mcp://fx/${encodeURIComponent('repo.delete')}`],
        ['claude_code.edit', 'file:///Users/me/My Project/src/a.ts'],
        ['db.read', 'iam://prod/roles/billing-admin'],
        ['db.query', 'https://example.com/a?b=c&d=%20#frag'],
        ['db.query', 'postgres://prod/*'],
        ['db.query', 'urn:x:données/表/😀'],
        ['db.query', '<@U0BOSS>'],
        ['DB-2.Export_All', 'x'],
      ];
      for (const [action, resource] of valid) {
        const res = await gw.call('POST', '/v1/actions', {
          token: agent,
          body: { action, resource, params: {}, on_behalf_of: 'alice' },
        });
        assert.equal(res.status, 201, `${action} ${resource}: ${JSON.stringify(res.body)}`);
      }
    });

    test('the grammar is in the OpenAPI document', async () => {
      const doc = (await gw.call('GET', '/openapi.json')).body;
      const body =
        doc.paths['/v1/actions'].post.requestBody.content['application/json'].schema.properties;
      for (const field of ['action', 'resource', 'environment', 'on_behalf_of']) {
        assert.equal(typeof body[field].pattern, 'string', field);
        assert.equal(typeof body[field].maxLength, 'number', field);
      }
      const resource = new RegExp(body.resource.pattern, 'u');
      assert.ok(resource.test('postgres://prod/customers'));
      assert.ok(!resource.test('postgres://prod\ncustomers'));
    });
  });

  describe(`JSON nesting deeper than ${MAX_JSON_DEPTH} levels`, () => {
    /** `{"params": {"a": [[…]]}}` whose deepest array is at `depth` levels in all. */
    const deepParams = (depth: number) =>
      `{"action":"db.export","resource":"pg://x","params":{"a":${'['.repeat(depth - 2)}${']'.repeat(depth - 2)}}}`;

    test('a body at the limit is accepted', async () => {
      const res = await gw.call('POST', '/v1/actions', {
        token: agent,
        raw: deepParams(MAX_JSON_DEPTH),
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    });

    test('one level more is refused', () =>
      refused(400, 'invalid_request', [
        'POST',
        '/v1/actions',
        { token: agent, raw: deepParams(MAX_JSON_DEPTH + 1) },
      ]));

    test('7,000 levels (14 KB) on every endpoint that takes JSON: 400, recorded, nothing changed', async () => {
      const pending = await gw.call('POST', '/v1/actions', {
        token: agent,
        body: { ...good, environment: 'production', params: { rows: 50_000 } },
      });
      assert.equal(pending.body.status, 'pending');
      const id = pending.body.id as string;
      const reviewer = await gw.token('user', 'bob');
      const bodies = [
        `{"action":"db.export","resource":"pg://x","params":{"a":${deep(7_000)}}}`,
        deep(7_000),
        `{"vote":"approve","comment":${deep(7_000)}}`,
        `{"grant":"x","params":{"a":${deep(7_000)}}}`,
      ];
      const endpoints: [string, string | undefined][] = [
        ['/v1/actions', agent],
        [`/v1/actions/${id}/votes`, reviewer],
        [`/v1/actions/${id}/cancel`, agent],
        [`/v1/actions/${id}/result`, agent],
        ['/v1/grants/verify', undefined],
        ['/v1/grants/redeem', undefined],
        ['/v1/policy/evaluate', agent],
        ['/auth/one-time', undefined],
      ];
      for (const [path, token] of endpoints) {
        for (const raw of bodies) {
          await refused(400, 'invalid_request', ['POST', path, { token, raw }]);
        }
        if (token) {
          const last = (await refusalsRecorded()).at(-1);
          assert.equal(last?.data.code, 'invalid_request', path);
          assert.notEqual(last?.actor.kind, 'anonymous', path);
        }
      }
      const after = await gw.call('GET', `/v1/actions/${id}`, { token: agent });
      assert.equal(after.body.status, 'pending');
      assert.deepEqual(after.body.votes, []);
    });
  });

  describe('authentication comes before the body is read', () => {
    test('no token and an unknown field: 401, no schema details', async () => {
      await refused(401, 'unauthenticated', [
        'POST',
        '/v1/actions',
        { body: { ...good, aprove: true } },
      ]);
      const res = await gw.call('POST', '/v1/actions', { body: { ...good, aprove: true } });
      assert.equal(res.body.errors, undefined);
      assert.ok(!JSON.stringify(res.body).includes('aprove'));
    });

    test('no token and a malformed, oversized or non-JSON body: still 401', async () => {
      await refused(401, 'unauthenticated', ['POST', '/v1/actions', { raw: '{"action":' }]);
      await refused(401, 'unauthenticated', ['POST', '/v1/actions', { body: bigBody(32 * 1024) }]);
      await refused(401, 'unauthenticated', [
        'POST',
        '/v1/actions',
        { raw: 'x', headers: { 'content-type': 'text/plain' } },
      ]);
      await refused(401, 'invalid_token', [
        'POST',
        '/v1/actions/act_x/votes',
        { token: 'csu_nope', raw: deep(7_000) },
      ]);
    });

    test('a cookie session without its CSRF token: 403 csrf before the body is judged', async () => {
      const alice = await signIn(gw, 'alice');
      for (const body of [{ vote: 'approve', extra: true }, { vote: 'maybe' }]) {
        const res = await asSession(gw, alice, 'POST', '/v1/actions/act_x/votes', {
          body,
          csrf: null,
        });
        assert.equal(res.status, 403, JSON.stringify(res.body));
        assert.equal(res.body.reason, 'csrf');
      }
      const last = (await refusalsRecorded()).at(-1);
      assert.deepEqual(last?.actor, { kind: 'user', id: 'alice' });
      assert.equal(last?.data.code, 'forbidden');
    });

    test("an agent's schema refusal is recorded as that agent", async () => {
      await refused(400, 'invalid_request', [
        'POST',
        '/v1/actions',
        { token: agent, body: { ...good, aprove: true } },
      ]);
      const last = (await refusalsRecorded()).at(-1);
      assert.deepEqual(last?.actor, { kind: 'agent', id: 'exporter' });
      assert.equal(last?.data.code, 'invalid_request');
      assert.equal(last?.data.route, '/v1/actions');
    });

    test('a refusal by the body parser is recorded as the caller too', async () => {
      await refused(400, 'malformed_json', [
        'POST',
        '/v1/actions',
        { token: agent, raw: '{"action":' },
      ]);
      const last = (await refusalsRecorded()).at(-1);
      assert.deepEqual(last?.actor, { kind: 'agent', id: 'exporter' });
      assert.equal(last?.data.code, 'malformed_json');
    });
  });

  test('a text/plain body is 415, on every endpoint that takes a body', async () => {
    const text = { 'content-type': 'text/plain' };
    await refused(415, 'unsupported_media_type', [
      'POST',
      '/v1/actions',
      { token: agent, raw: JSON.stringify(good), headers: text },
    ]);
    await refused(415, 'unsupported_media_type', [
      'POST',
      '/v1/actions/act_x/cancel',
      { token: agent, raw: 'never mind', headers: text },
    ]);
    await refused(415, 'unsupported_media_type', [
      'POST',
      '/v1/grants/verify',
      { raw: '{"grant":"x"}', headers: { 'content-type': 'text/plain; charset=utf-8' } },
    ]);
  });
});
