import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyGrant, type ActionRecord } from '../src/index.js';
import { startGateway } from './gateway.js';

const big = { action: 'db.export', resource: 'pg://prod/x', params: { rows: 20000 } };

/** A grant a standing approval led to verifies offline, with basis `standing` (docs/grants.md). */
test('verifyGrant accepts a grant with basis standing, naming the endorsers', async () => {
  const gw = await startGateway();
  try {
    const agent = await gw.agentToken();
    const alice = (await gw.gateway.tokens.create('user', 'alice')).token;
    const call = async (token: string, path: string, body: unknown) => {
      const res = await fetch(gw.url + path, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.ok(res.ok, `${path}: ${res.status}`);
      return (await res.json()) as ActionRecord & { standing_approval?: { id: string } };
    };
    const first = await call(agent, '/v1/actions', big);
    const voted = await call(alice, `/v1/actions/${first.id}/votes`, {
      vote: 'approve',
      standing: { uses: 1 },
    });
    assert.ok(voted.standing_approval);
    const second = await call(agent, '/v1/actions', big);
    assert.equal(second.status, 'approved');
    assert.equal(second.standing_approval_id, voted.standing_approval.id);
    const claims = await verifyGrant(second.grant!.token, {
      jwksUrl: `${gw.url}/.well-known/jwks.json`,
      expect: { ...big, environment: 'default' },
    });
    assert.equal(claims.basis, 'standing');
    assert.deepEqual(claims.approvers, ['alice']);
  } finally {
    await gw.close();
  }
});
