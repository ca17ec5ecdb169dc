import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Countersign,
  GrantInvalid,
  actionDigest,
  verifyGrant,
  type ActionRecord,
  type Jwks,
} from '../src/index.js';
import { deadUrl, startGateway, type TestGateway } from './gateway.js';

const spec = {
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 500, columns: ['id', 'email'] },
};

const code = async (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e: unknown) => (e instanceof GrantInvalid ? e.code : `not GrantInvalid: ${String(e)}`),
  );

/** Re-encodes one part of a JWS with a change: what an attacker would try. */
function tamper(token: string, part: 0 | 1, edit: (json: Record<string, unknown>) => void) {
  const parts = token.split('.');
  const json = JSON.parse(Buffer.from(parts[part], 'base64url').toString()) as Record<
    string,
    unknown
  >;
  edit(json);
  parts[part] = Buffer.from(JSON.stringify(json)).toString('base64url');
  return parts.join('.');
}

describe('verifyGrant offline against the gateway JWKS', () => {
  let gw: TestGateway;
  let record: ActionRecord;
  let grant: string;
  let jwksUrl: string;
  before(async () => {
    gw = await startGateway();
    const cs = new Countersign({ url: gw.url, token: await gw.agentToken() });
    record = await cs.request(spec);
    assert.equal(record.status, 'approved');
    grant = record.grant!.token;
    jwksUrl = `${gw.url}/.well-known/jwks.json`;
  });
  after(() => gw.close());

  test('the SDK digest equals the gateway digest', async () => {
    assert.equal(await actionDigest(spec), record.digest);
    assert.equal(
      await actionDigest({ action: 'a.b', resource: 'r' }),
      await actionDigest({ action: 'a.b', resource: 'r', environment: 'default', params: {} }),
    );
  });

  test('a genuine grant for this action verifies and returns its claims', async () => {
    const { iss } = await verifyGrant(grant, { jwksUrl });
    const claims = await verifyGrant(grant, {
      jwksUrl,
      issuer: `${iss}/`,
      expect: { ...spec, params: { columns: ['id', 'email'], rows: 500 } }, // key order is free
    });
    assert.equal(claims.request_id, record.id);
    assert.equal(claims.digest, record.digest);
    assert.equal(claims.basis, 'policy');
    assert.equal(claims.sub, 'exporter');
  });

  test('fully offline with a JWKS copy; the gateway can be gone', async () => {
    const jwks = (await (await fetch(jwksUrl)).json()) as Jwks;
    const claims = await verifyGrant(grant, { jwks, expect: spec });
    assert.equal(claims.jti, record.grant!.jti);
  });

  test('other params, resource or environment: digest_mismatch', async () => {
    for (const other of [
      { ...spec, params: { ...spec.params, rows: 501 } },
      { ...spec, resource: 'postgres://prod/customers2' },
      { ...spec, environment: 'staging' },
      { ...spec, params: {} },
    ]) {
      assert.equal(await code(verifyGrant(grant, { jwksUrl, expect: other })), 'digest_mismatch');
    }
  });

  test('past exp: grant_expired', async () => {
    const later = () => Date.now() + 24 * 3600_000;
    assert.equal(await code(verifyGrant(grant, { jwksUrl, now: later })), 'grant_expired');
  });

  test('tampered, re-typed, unsigned or foreign grants: invalid_signature', async () => {
    const bad = [
      tamper(grant, 1, (p) => (p.digest = `sha256:${'0'.repeat(64)}`)),
      tamper(grant, 1, (p) => (p.exp = Number(p.exp) + 3600)),
      tamper(grant, 0, (h) => (h.alg = 'none')),
      tamper(grant, 0, (h) => (h.typ = 'JWT')),
      tamper(grant, 0, (h) => (h.kid = 'someone-else')),
      grant.split('.').slice(0, 2).join('.') + '.',
      grant.replace(/\.[^.]+$/, '.AAAA'),
      'not a jwt',
      `${grant}.extra`,
      '',
    ];
    for (const token of bad) {
      assert.equal(await code(verifyGrant(token, { jwksUrl })), 'invalid_signature', token);
    }
    assert.equal(
      await code(verifyGrant(grant, { jwksUrl, issuer: 'https://elsewhere.example' })),
      'invalid_signature',
    );
  });

  test('no keys to check with: jwks_unavailable (fail closed)', async () => {
    assert.equal(
      await code(verifyGrant(grant, { jwksUrl: `${await deadUrl()}/.well-known/jwks.json` })),
      'jwks_unavailable',
    );
    assert.equal(await code(verifyGrant(grant, {})), 'jwks_unavailable');
  });
});
