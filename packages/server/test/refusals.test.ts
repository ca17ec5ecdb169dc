import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bigBody, startGateway, type TestGateway } from './harness.js';

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
});
