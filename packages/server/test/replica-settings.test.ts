import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { CountersignError } from '@countersign/core';
import { checkReplicaSettings, replicaSettings } from '../src/config/replica-settings.js';
import { ReplicaSettingsRepository } from '../src/storage/replica-settings-repository.js';
import { postgresAvailable, startGateway, type TestGateway, indexedStore } from './harness.js';

/**
 * Replicas on one store must agree on public_url (the grants' issuer) and their keys: the
 * first replica records them, and one that disagrees refuses to start with config_invalid
 * naming the difference, unless started with --accept-config-change. PostgreSQL only: an
 * SQLite store has one gateway.
 */
for (const dialect of (await postgresAvailable()) ? (['postgres'] as const) : []) {
  describe(`replica settings (${dialect})`, () => {
    let a: TestGateway;
    before(async () => {
      a = await startGateway({ dialect, publicUrl: 'https://a.example' });
    });
    after(() => a.close());
    const same = () => ({ dir: a.dir, databaseUrl: a.databaseUrl });

    test('a replica with another public_url refuses to start, naming both', async () => {
      await assert.rejects(
        startGateway({ dialect, reuse: same(), publicUrl: 'https://b.example' }),
        (e: unknown) => {
          assert.ok(e instanceof CountersignError);
          assert.equal(e.code, 'config_invalid');
          assert.match(
            e.message,
            /^public_url https:\/\/b\.example differs from https:\/\/a\.example recorded by the first replica; every replica must use the same public_url and keys/,
          );
          assert.match(e.message, /--accept-config-change/);
          return true;
        },
      );
    });

    test('a replica with another grant signing key or audit keys is refused', async () => {
      // The harness gives gateways no environment: the check is driven directly, on the store
      // the first replica recorded, with what an operator's COUNTERSIGN_* keys would give.
      const repo = new ReplicaSettingsRepository(a.gateway.storage.db);
      const recorded = {
        publicUrl: 'https://a.example',
        grantSigningKey: undefined,
        auditVerifierKey: a.gateway.audit.verifierKey,
        env: {},
      };
      assert.deepEqual(await checkReplicaSettings(repo, await replicaSettings(repo, recorded)), []);
      const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
      const suppliedKey = await replicaSettings(repo, {
        ...recorded,
        grantSigningKey: JSON.stringify(jwk),
      });
      await assert.rejects(
        checkReplicaSettings(repo, suppliedKey),
        /^CountersignError: grant signing key \(COUNTERSIGN_GRANT_SIGNING_KEY\) supplied:\S+ differs from store recorded by the first replica/,
      );
      const otherHmac = await replicaSettings(repo, {
        ...recorded,
        env: { COUNTERSIGN_AUDIT_HMAC_KEY: randomBytes(32).toString('base64') },
      });
      await assert.rejects(
        checkReplicaSettings(repo, otherHmac),
        /audit HMAC key \(COUNTERSIGN_AUDIT_HMAC_KEY\) sha256:[0-9a-f]{16} differs from sha256:[0-9a-f]{16}/,
      );
      await assert.rejects(
        checkReplicaSettings(repo, { ...suppliedKey, audit_signing_key: 'other+abcd+xyz' }),
        (e: unknown) => {
          // Every difference is named, not just the first.
          assert.match(String(e), /grant signing key .*; audit signing key .*other\+abcd\+xyz/);
          return true;
        },
      );
    });

    test('with the same public_url both run, and a grant issued on one verifies on the other', async () => {
      const b = await startGateway({ dialect, reuse: same(), publicUrl: 'https://a.example' });
      try {
        const agent = await a.token('agent', 'exporter');
        const res = await a.call('POST', '/v1/actions', {
          token: agent,
          body: { action: 'db.export', resource: 'pg://prod', params: { rows: 5 } },
        });
        assert.equal(res.status, 201);
        const grant = res.body.grant.token as string;
        const verified = await b.call('POST', '/v1/grants/verify', { body: { grant } });
        assert.equal(verified.status, 200, JSON.stringify(verified.body));
        assert.equal(verified.body.claims.iss, 'https://a.example');
      } finally {
        await b.close({ keep: true });
      }
    });

    test('--accept-config-change records the new public_url; then the old one is refused', async () => {
      const b = await startGateway({
        dialect,
        reuse: same(),
        publicUrl: 'https://b.example',
        acceptConfigChange: true,
      });
      // The accepted change is on record, naming what changed.
      const entries = await (
        await indexedStore(b)
      )
        .selectFrom('audit_entries')
        .select('entry')
        .execute();
      const changed = entries
        .map((e) => String(e.entry))
        .filter((e) => e.includes('"config.changed"'));
      assert.equal(changed.length, 1);
      assert.match(changed[0], /public_url https:\/\/b\.example differs from https:\/\/a\.example/);
      await b.close({ keep: true });
      await assert.rejects(
        startGateway({ dialect, reuse: same(), publicUrl: 'https://a.example' }),
        /public_url https:\/\/a\.example differs from https:\/\/b\.example/,
      );
    });
  });
}
