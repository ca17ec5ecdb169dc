import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import {
  SignJWT,
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  type JSONWebKeySet,
} from 'jose';
import { isCountersignError, type ActionRecord, type GrantRef } from '@countersign/core';
import {
  KEY_REFRESH_MS,
  KeyRing,
  SigningKeyRepository,
  openGrantService,
  resolveConfig,
  type GrantService,
} from '../src/index.js';
import { generateSigningKey, privateJwkText } from '../src/grants/signing-key.js';
import { recordFromRow } from '../src/storage/action-rows.js';
import { DIRECTORY, dialects, startGateway, type TestGateway } from './harness.js';

const TTL_MS = 15 * 60_000;
const TYP = 'countersign-grant+jwt';
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** The error code a promise rejects with. */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return isCountersignError(e) ? e.code : `not a CountersignError: ${String(e)}`;
  }
  return 'no error';
}

/** Changes one character in the middle of a segment of a compact JWS. */
function flip(token: string, segment: 0 | 1 | 2): string {
  const parts = token.split('.');
  const s = parts[segment];
  const i = Math.floor(s.length / 2);
  parts[segment] = s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  return parts.join('.');
}

for (const dialect of await dialects()) {
  describe(`grants (${dialect})`, () => {
    let gw: TestGateway;
    let exporter: string;
    let issuer: string;
    before(async () => {
      gw = await startGateway({ dialect });
      exporter = await gw.token('agent', 'exporter');
      issuer = (await gw.call('GET', '/openapi.json')).body.servers[0].url;
    });
    after(() => gw.close());

    const spec = (rows: number) => ({
      action: 'db.export',
      resource: 'postgres://prod/customers',
      environment: 'production',
      params: { rows },
    });
    /** An approved request (policy allow) with the grant the gateway issued for it. */
    const approved = async (rows = 500) => {
      const res = await gw.call('POST', '/v1/actions', { token: exporter, body: spec(rows) });
      assert.equal(res.status, 201);
      assert.equal(res.body.status, 'approved');
      assert.ok(res.body.grant, 'an approved request carries its grant');
      return { id: res.body.id as string, grant: res.body.grant.token as string };
    };
    const verify = (body: unknown) => gw.call('POST', '/v1/grants/verify', { body });
    const redeem = (body: unknown) => gw.call('POST', '/v1/grants/redeem', { body });
    const record = async (id: string): Promise<ActionRecord> =>
      recordFromRow(
        await gw.gateway.storage.db
          .selectFrom('actions')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirstOrThrow(),
      );
    /** Stores a grant on its request as the action service does when it approves. */
    const store = async (id: string, ref: GrantRef) => {
      await gw.gateway.storage.db
        .updateTable('actions')
        .set({
          grant_jti: ref.jti,
          grant_token: ref.token,
          grant_expires_at: ref.expires_at,
          grant_redeemed_at: null,
        })
        .where('id', '=', id)
        .execute();
    };
    /** A grant service on the gateway's store with a clock the test controls. */
    const clocked = (clock: { now: number }): Promise<GrantService> =>
      openGrantService(gw.gateway.storage.db, {
        issuer,
        ttlMs: TTL_MS,
        now: () => clock.now,
        evidence: gw.gateway.audit,
      });
    const jwks = async (): Promise<JSONWebKeySet> => {
      const res = await gw.call('GET', '/.well-known/jwks.json');
      assert.equal(res.status, 200);
      return res.body as JSONWebKeySet;
    };

    test('an approved request gets an EdDSA grant bound to it, with the claims a target needs', async () => {
      const { id, grant } = await approved();
      const header = decodeProtectedHeader(grant);
      assert.deepEqual(Object.keys(header).sort(), ['alg', 'kid', 'typ']);
      assert.equal(header.alg, 'EdDSA');
      assert.equal(header.typ, TYP);
      const keys = await jwks();
      assert.equal(header.kid, keys.keys[0].kid, 'signed by the active (first) key');
      const claims = decodeJwt(grant);
      const r = await record(id);
      const { jti, iat, exp, ...rest } = claims;
      assert.deepEqual(rest, {
        iss: issuer,
        sub: 'exporter',
        aud: 'countersign',
        request_id: id,
        action: 'db.export',
        resource: 'postgres://prod/customers',
        environment: 'production',
        digest: r.digest,
        approvers: [],
        basis: 'policy',
        policy_version: r.policy_version,
      });
      assert.equal((exp ?? 0) - (iat ?? 0), TTL_MS / 1000);
      assert.match(String(jti), /^grt_[0-9a-z]{26}$/);
      assert.equal(r.grant?.jti, jti);
    });

    test('the JWKS is public, cacheable, and each kid is the RFC 7638 thumbprint', async () => {
      const res = await gw.call('GET', '/.well-known/jwks.json');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
      for (const k of res.body.keys) {
        assert.deepEqual(Object.keys(k).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
        assert.equal(k.kid, await calculateJwkThumbprint({ kty: k.kty, crv: k.crv, x: k.x }));
        assert.equal(k.d, undefined, 'never the private key');
      }
    });

    test('verify: no token needed; with the same action it passes, with other params it is digest_mismatch', async () => {
      const { grant } = await approved(700);
      const plain = await verify({ grant });
      assert.equal(plain.status, 200);
      assert.equal(plain.body.valid, true);
      assert.equal(plain.body.redeemed_at, null);
      assert.equal(plain.body.claims.action, 'db.export');
      const same = await verify({ grant, ...spec(700) });
      assert.equal(same.status, 200);
      for (const other of [
        spec(701),
        { ...spec(700), params: { rows: 700, where: '1=1' } },
        { ...spec(700), resource: 'postgres://prod/customers2' },
        { ...spec(700), environment: 'staging' },
        { ...spec(700), action: 'db.exports' },
      ]) {
        const res = await verify({ grant, ...other });
        assert.equal(res.status, 403, JSON.stringify(other));
        assert.equal(res.body.code, 'digest_mismatch');
        assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      }
      // ...and a mismatched grant cannot be redeemed either, nor is it used up by trying.
      const wrong = await redeem({ grant, ...spec(701) });
      assert.equal(wrong.body.code, 'digest_mismatch');
      assert.equal((await verify({ grant })).body.redeemed_at, null);
    });

    test('environment and params default as in POST /v1/actions; half an action is refused', async () => {
      const res = await gw.call('POST', '/v1/actions', {
        token: exporter,
        body: { action: 'db.query', resource: 'pg://x', params: { sql: 'select 1' } },
      });
      const grant = res.body.grant.token as string;
      assert.equal(
        (
          await verify({
            grant,
            action: 'db.query',
            resource: 'pg://x',
            params: { sql: 'select 1' },
          })
        ).status,
        200,
      );
      const { grant: g2 } = await approved();
      for (const partial of [
        { params: { rows: 500 } },
        { action: 'db.export' },
        { environment: 'x' },
      ]) {
        const r = await verify({ grant: g2, ...partial });
        assert.equal(r.status, 400);
        assert.equal(r.body.code, 'invalid_request');
      }
    });

    test('expired grants are grant_expired, at the API and in the service', async () => {
      const { id } = await approved();
      const clock = { now: Date.now() - 2 * TTL_MS };
      const service = await clocked(clock);
      const ref = await service.issue(await record(id), [], 'policy');
      await store(id, ref);
      const res = await verify({ grant: ref.token });
      assert.equal(res.status, 410);
      assert.equal(res.body.code, 'grant_expired');
      assert.equal((await redeem({ grant: ref.token })).body.code, 'grant_expired');
      // One second before exp it verifies; at exp it has expired.
      clock.now = ref.expires_at - 1000;
      assert.equal((await service.verify(ref.token)).valid, true);
      clock.now = ref.expires_at;
      assert.equal(await codeOf(service.verify(ref.token)), 'grant_expired');
      assert.equal(await codeOf(service.redeem(ref.token)), 'grant_expired');
    });

    test('a tampered payload, header or signature is invalid_signature', async () => {
      const { grant } = await approved();
      const [h, p, s] = grant.split('.');
      const claims = decodeJwt(grant);
      const forgedPayload = b64({ ...claims, params: undefined, resource: 'postgres://prod/*' });
      for (const bad of [
        flip(grant, 1),
        flip(grant, 2),
        `${h}.${forgedPayload}.${s}`,
        `${h}.${p}.`,
        `${h}.${p}`,
        `${h}.${p}.${s}.${s}`,
        'not a grant',
        `${b64({ alg: 'EdDSA', typ: TYP })}.${p}.${s}`, // no kid
        `${b64({ alg: 'EdDSA', typ: TYP, kid: 'nope' })}.${p}.${s}`,
        `${b64({ alg: 'EdDSA', typ: 'JWT', kid: decodeProtectedHeader(grant).kid })}.${p}.${s}`,
        `!!!.${p}.${s}`,
      ]) {
        const res = await verify({ grant: bad });
        assert.equal(res.status, 401, bad);
        assert.equal(res.body.code, 'invalid_signature', bad);
        assert.equal((await redeem({ grant: bad })).body.code, 'invalid_signature');
      }
    });

    test('a grant signed by another Ed25519 key under the real kid is invalid_signature, never expired', async () => {
      const { grant } = await approved();
      const { kid } = decodeProtectedHeader(grant);
      const other = generateKeyPairSync('ed25519').privateKey;
      const claims = decodeJwt(grant);
      const forge = (payload: Record<string, unknown>) =>
        new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid, typ: TYP }).sign(other);
      for (const forged of [
        await forge(claims),
        await forge({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 }),
      ]) {
        const res = await verify({ grant: forged });
        assert.equal(res.status, 401);
        assert.equal(res.body.code, 'invalid_signature');
      }
    });

    test('alg none and HS256 keyed with the public key are invalid_signature', async () => {
      const { grant } = await approved();
      const { kid } = decodeProtectedHeader(grant);
      const claims = decodeJwt(grant);
      const none = `${b64({ alg: 'none', typ: TYP, kid })}.${b64(claims)}.`;
      const publicJwk = (await jwks()).keys.find((k) => k.kid === kid);
      assert.ok(publicJwk?.x);
      const secrets = [
        Buffer.from(publicJwk.x, 'base64url'),
        Buffer.from(JSON.stringify(publicJwk)),
        Buffer.from(publicJwk.x),
      ];
      const hs = await Promise.all(
        secrets.map((secret) =>
          new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid, typ: TYP }).sign(secret),
        ),
      );
      const edAlias = `${b64({ alg: 'Ed25519', typ: TYP, kid })}.${grant.split('.')[1]}.${grant.split('.')[2]}`;
      for (const bad of [none, ...hs, edAlias]) {
        const res = await verify({ grant: bad });
        assert.equal(res.status, 401);
        assert.equal(res.body.code, 'invalid_signature');
      }
    });

    test('a JWT signed by the real key but not typed or addressed as a grant is refused', async () => {
      const { grant } = await approved();
      const key = await gw.gateway.grants.keys.signer();
      const claims = decodeJwt(grant);
      // jose will not produce a critical extension it does not know, so these are signed by hand.
      const signRaw = (header: Record<string, unknown>, payload: Record<string, unknown>) => {
        const input = `${b64(header)}.${b64(payload)}`;
        return `${input}.${cryptoSign(null, Buffer.from(input), key.privateKey).toString('base64url')}`;
      };
      const sign = (header: Record<string, unknown>, payload: Record<string, unknown>) =>
        new SignJWT(payload)
          .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: TYP, ...header })
          .sign(key.privateKey);
      for (const bad of [
        await sign({ typ: 'JWT' }, claims),
        await sign({}, { ...claims, aud: 'someone-else' }),
        await sign({}, { ...claims, iss: 'https://evil.example' }),
        await sign({}, { ...claims, digest: 'md5:x' }),
        signRaw({ alg: 'EdDSA', kid: key.kid, typ: TYP, crit: ['x-ext'], 'x-ext': 1 }, claims),
        signRaw({ alg: 'EdDSA', kid: key.kid, typ: TYP, b64: false, crit: ['b64'] }, claims),
      ]) {
        const res = await verify({ grant: bad });
        assert.equal(res.body.code, 'invalid_signature');
      }
    });

    test('a grant that was signed but never stored with its approval is not_found', async () => {
      const { id } = await approved();
      const service = await clocked({ now: Date.now() });
      const ref = await service.issue(await record(id), ['alice'], 'quorum');
      const res = await verify({ grant: ref.token });
      assert.equal(res.status, 404);
      assert.equal(res.body.code, 'not_found');
      assert.equal((await redeem({ grant: ref.token })).body.code, 'not_found');
    });

    test('the issuer refuses to sign a record whose digest does not match its params', async () => {
      const { id } = await approved();
      const r = await record(id);
      const service = await clocked({ now: Date.now() });
      assert.equal(
        await codeOf(service.issue({ ...r, params: { rows: 10 } }, [], 'policy')),
        'internal',
      );
    });

    test('redeem once: 200 with redeemed_at; again: 409 grant_used; verify still reports it', async () => {
      const { id, grant } = await approved();
      const first = await redeem({ grant, ...spec(500) });
      assert.equal(first.status, 200);
      assert.equal(first.body.valid, true);
      assert.ok(Date.parse(first.body.redeemed_at) > 0);
      const second = await redeem({ grant, ...spec(500) });
      assert.equal(second.status, 409);
      assert.equal(second.body.code, 'grant_used');
      assert.equal(second.body.redeemed_at, first.body.redeemed_at);
      const check = await verify({ grant });
      assert.equal(check.status, 200);
      assert.equal(check.body.redeemed_at, first.body.redeemed_at);
      assert.equal((await record(id)).grant?.redeemed_at, Date.parse(first.body.redeemed_at));
      const read = await gw.call('GET', `/v1/actions/${id}`, { token: exporter });
      assert.equal(read.body.grant.redeemed_at, first.body.redeemed_at);
    });

    test('20 concurrent redeems of one grant: exactly one succeeds', async () => {
      const { grant } = await approved();
      const results = await Promise.all(Array.from({ length: 20 }, () => redeem({ grant })));
      const ok = results.filter((r) => r.status === 200);
      assert.equal(ok.length, 1);
      for (const r of results.filter((x) => x.status !== 200)) {
        assert.equal(r.status, 409);
        assert.equal(r.body.code, 'grant_used');
      }
    });

    test('a grant whose request already reported its result cannot be redeemed', async () => {
      const { id, grant } = await approved();
      const done = await gw.call('POST', `/v1/actions/${id}/result`, {
        token: exporter,
        body: { outcome: 'completed' },
      });
      assert.equal(done.status, 200);
      const res = await redeem({ grant });
      assert.equal(res.status, 409);
      assert.equal(res.body.code, 'grant_used');
      assert.equal(res.body.request_status, 'completed');
    });

    test('bad bodies are 4xx problems: unknown fields, wrong types, oversize grants', async () => {
      const { grant } = await approved();
      for (const body of [
        { grant, extra: 1 },
        { grant: 42 },
        {},
        { grant: 'x'.repeat(16 * 1024 + 1) },
        { grant, ...spec(500), params: 'rows=500' },
      ]) {
        const res = await verify(body);
        assert.equal(res.status, 400, JSON.stringify(body).slice(0, 80));
        assert.equal(res.body.code, 'invalid_request');
      }
      const raw = await gw.call('POST', '/v1/grants/redeem', { raw: '{"grant":' });
      assert.equal(raw.body.code, 'malformed_json');
      const huge = await verify({ grant, params: { pad: 'x'.repeat(70 * 1024) } });
      assert.equal(huge.status, 413);
      assert.equal(huge.body.code, 'body_too_large');
    });

    test('rotation: old grants still verify (API and offline), new grants use the new kid', async () => {
      const before = await approved();
      const oldKid = decodeProtectedHeader(before.grant).kid;
      const { kid, retired } = await gw.gateway.grants.keys.rotate();
      assert.equal(retired, oldKid);
      assert.notEqual(kid, oldKid);
      const set = await jwks();
      assert.deepEqual(
        set.keys.map((k) => k.kid),
        [kid, oldKid],
        'active first, then the retired key',
      );
      assert.equal((await verify({ grant: before.grant, ...spec(500) })).status, 200);
      const after = await approved(600);
      assert.equal(decodeProtectedHeader(after.grant).kid, kid);
      // Offline, as a target system does it: the JWKS and jose, no call to the gateway.
      const keys = createLocalJWKSet(set);
      for (const grant of [before.grant, after.grant]) {
        const { payload, protectedHeader } = await jwtVerify(grant, keys, {
          issuer,
          audience: 'countersign',
          typ: TYP,
          algorithms: ['EdDSA'],
        });
        assert.equal(protectedHeader.alg, 'EdDSA');
        assert.match(String(payload.digest), /^sha256:/);
      }
      assert.equal((await redeem({ grant: before.grant })).status, 200);
    });

    test('a rotation by another replica: its grants verify here at once, ours still verify there', async () => {
      const other = await clocked({ now: Date.now() });
      const ours = await approved();
      // A garbage kid first: it must not stop the next, real new kid from being looked up.
      const junk = `${b64({ alg: 'EdDSA', typ: TYP, kid: 'junk' })}.${ours.grant.split('.')[1]}.x`;
      assert.equal((await verify({ grant: junk })).body.code, 'invalid_signature');
      const { kid } = await other.keys.rotate();
      const { id } = await approved();
      const theirs = await other.issue(await record(id), [], 'policy');
      await store(id, theirs);
      assert.equal(decodeProtectedHeader(theirs.token).kid, kid);
      assert.equal((await verify({ grant: theirs.token })).status, 200);
      assert.equal((await other.verify(ours.grant)).valid, true);
    });

    test('a key retired longer ago than the grant TTL leaves the JWKS and verifies nothing', async () => {
      const clock = { now: Date.now() };
      const service = await clocked(clock);
      const { id } = await approved();
      const ref = await service.issue(await record(id), [], 'policy');
      await store(id, ref);
      const { kid: oldKid } = decodeProtectedHeader(ref.token);
      const { kid: newKid } = await service.keys.rotate();
      const listed = async () => (await service.keys.jwks()).keys.map((k) => k.kid);
      clock.now += TTL_MS + KEY_REFRESH_MS - 1;
      assert.deepEqual(await listed(), [newKid, oldKid]);
      clock.now += 1;
      assert.deepEqual(await listed(), [newKid]);
      assert.equal(await codeOf(service.verify(ref.token)), 'invalid_signature');

      // The gateway's own JWKS, with the retirement moved back past the TTL in the store.
      await gw.gateway.grants.keys.refresh();
      assert.ok((await jwks()).keys.some((k) => k.kid === oldKid));
      await gw.gateway.storage.db
        .updateTable('signing_keys')
        .set({ retired_at: Date.now() - TTL_MS - KEY_REFRESH_MS - 1000 })
        .where('kid', '=', String(oldKid))
        .execute();
      await gw.gateway.grants.keys.refresh();
      const published = (await jwks()).keys.map((k) => k.kid);
      assert.equal(published[0], newKid);
      assert.ok(!published.includes(String(oldKid)));
      assert.equal((await verify({ grant: ref.token })).body.code, 'invalid_signature');
      // ...while a grant signed after the rotation verifies via the refreshed ring.
      assert.equal((await verify({ grant: (await approved()).grant })).status, 200);
    });
  });

  describe(`grant signing keys (${dialect})`, () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startGateway({ dialect });
    });
    after(() => gw.close());

    const repo = () => new SigningKeyRepository(gw.gateway.storage.db);
    const ring = (suppliedKey?: string) =>
      KeyRing.open({ repo: repo(), ttlMs: TTL_MS, suppliedKey });
    const activeRows = async () =>
      (await repo().list()).filter((r) => r.retired_at === null).map((r) => r.kid);

    test('the first start generates one key and stores it; later starts reuse it', async () => {
      const rows = await repo().list();
      assert.equal(rows.length, 1);
      assert.equal(rows[0].algorithm, 'EdDSA');
      assert.ok(rows[0].private_jwk);
      assert.equal(await repo().activeKid(), rows[0].kid);
      await ring();
      assert.equal((await repo().list()).length, 1);
    });

    test('ten gateways starting at once on an empty store agree on one active key', async () => {
      const db = gw.gateway.storage.db;
      await db.deleteFrom('kv').where('key', '=', 'grants.active_kid').execute();
      await db.deleteFrom('signing_keys').execute();
      const rings = await Promise.all(Array.from({ length: 10 }, () => ring()));
      const kids = new Set(await Promise.all(rings.map(async (r) => (await r.signer()).kid)));
      assert.equal(kids.size, 1);
      assert.deepEqual(await activeRows(), [...kids]);
      assert.equal((await repo().list()).length, 1, 'the losers wrote nothing');
      await gw.gateway.grants.keys.refresh();
    });

    test('concurrent rotations: exactly one wins, the others adopt its key, one key stays active', async () => {
      const active = await repo().activeKid();
      assert.ok(active);
      const count = (await repo().list()).length;
      const keys = await Promise.all(Array.from({ length: 5 }, () => generateSigningKey()));
      const results = await Promise.all(
        keys.map((k) =>
          repo().activate(
            {
              kid: k.kid,
              algorithm: 'EdDSA',
              public_jwk: JSON.stringify(k.publicJwk),
              private_jwk: privateJwkText(k),
              created_at: Date.now(),
              retired_at: null,
            },
            { replacing: active },
          ),
        ),
      );
      const won = results.filter((r) => r.outcome === 'activated');
      assert.equal(won.length, 1);
      assert.ok(results.every((r) => r.kid === won[0].kid));
      assert.deepEqual(await activeRows(), [won[0].kid]);
      assert.equal((await repo().list()).length, count + 1, 'the losers wrote nothing');
      const info = await (await ring()).list();
      assert.equal(info.filter((k) => k.active).length, 1);
      assert.equal(info[0].active, true, 'newest first');
      assert.equal(info[1].kid, active);
      assert.equal(info[1].published, true);
      // rotate() re-reads the active key, so a later rotation simply succeeds.
      const rotated = await (await ring()).rotate();
      assert.equal(rotated.retired, won[0].kid);
    });

    test('an operator-supplied key (PEM or JWK) becomes active and only its public half is stored', async () => {
      const { privateKey } = generateKeyPairSync('ed25519');
      const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      const supplied = await ring(pem);
      const kid = (await supplied.signer()).kid;
      assert.equal(await repo().activeKid(), kid);
      const row = (await repo().list()).find((r) => r.kid === kid);
      assert.equal(row?.private_jwk, null);
      assert.deepEqual(await activeRows(), [kid]);
      // The same key as a JWK is the same kid; starting again changes nothing.
      const jwk = JSON.stringify(privateKey.export({ format: 'jwk' }));
      assert.equal((await (await ring(jwk)).signer()).kid, kid);
      assert.deepEqual(await activeRows(), [kid]);
      // Rotation is by supplying another key, not by generating one.
      assert.equal(await codeOf(supplied.rotate()), 'config_invalid');
      // A gateway without the key cannot sign with it: it refuses to start.
      assert.equal(await codeOf(ring()), 'config_invalid');
    });

    test('a malformed or mismatched supplied key stops the start with config_invalid', async () => {
      const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
      const otherX = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x;
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
        .privateKey.export({ format: 'pem', type: 'pkcs8' })
        .toString();
      const before = await repo().activeKid();
      for (const bad of [
        'garbage',
        '{"kty":"OKP"',
        JSON.stringify({ ...jwk, x: otherX }),
        JSON.stringify({ ...jwk, crv: 'X25519' }),
        JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }),
        rsa,
      ]) {
        assert.equal(await codeOf(ring(bad)), 'config_invalid', bad.slice(0, 40));
      }
      assert.equal(await repo().activeKid(), before, 'nothing changed');
    });
  });
}

test('grants.ttl defaults to 15m, accepts 10s to 24h, and the key comes from the environment', () => {
  const config = (ttl?: string, env: NodeJS.ProcessEnv = {}) =>
    resolveConfig(
      { directory: DIRECTORY, policy: 'policy.yaml', ...(ttl ? { grants: { ttl } } : {}) },
      '/tmp',
      env,
    ).grants;
  assert.deepEqual(config(), { ttlMs: TTL_MS, signingThread: 'event-loop', signingKey: undefined });
  assert.equal(config('1h30m').ttlMs, 5_400_000);
  assert.equal(config('10s').ttlMs, 10_000);
  assert.equal(config('24h').ttlMs, 86_400_000);
  for (const bad of ['9s', '25h', '15', 'soon', '0s']) {
    assert.throws(
      () => config(bad),
      (e: unknown) => isCountersignError(e) && e.code === 'config_invalid',
    );
  }
  assert.equal(config(undefined, { COUNTERSIGN_GRANT_SIGNING_KEY: 'pem' }).signingKey, 'pem');
});

test('grants.signing_thread: worker signs on a worker thread; the grants verify and redeem the same', async () => {
  const thread = (signing_thread: string) =>
    resolveConfig(
      { directory: DIRECTORY, policy: 'policy.yaml', grants: { signing_thread } } as never,
      '/tmp',
      {},
    ).grants.signingThread;
  assert.equal(thread('worker'), 'worker');
  assert.throws(
    () => thread('gpu'),
    (e: unknown) => isCountersignError(e) && e.code === 'config_invalid',
  );
  const gw = await startGateway({ grants: { signing_thread: 'worker' } });
  try {
    const token = await gw.token('agent', 'exporter');
    const body = {
      action: 'db.export',
      resource: 'postgres://prod/customers',
      params: { rows: 5 },
    };
    const results = await Promise.all(
      Array.from({ length: 20 }, () => gw.call('POST', '/v1/actions', { token, body })),
    );
    for (const res of results) {
      assert.equal(res.body.status, 'approved', JSON.stringify(res.body));
      const grant = res.body.grant.token as string;
      const verified = await gw.call('POST', '/v1/grants/verify', { body: { grant } });
      assert.equal(verified.status, 200, JSON.stringify(verified.body));
    }
    const grant = results[0]?.body.grant.token as string;
    assert.equal((await gw.call('POST', '/v1/grants/redeem', { body: { grant } })).status, 200);
  } finally {
    await gw.close();
  }
});
