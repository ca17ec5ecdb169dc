import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CountersignError } from '@countersign/core';
import { Directory } from '../config/directory.js';
import { openDatabase } from '../storage/open-database.js';
import { TokenRepository } from '../storage/token-repository.js';
import { openAuditLog } from '../audit/open-audit-log.js';
import { TOKEN_CACHE_MS, TokenService } from './token-service.js';

const dir = mkdtempSync(join(tmpdir(), 'countersign-tokens-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const directory = new Directory({
  groups: [],
  users: [{ id: 'alice', groups: [] }],
  agents: [{ id: 'exporter', owners: ['alice'] }],
});

const refusedWith = (code: string) => (e: unknown) =>
  e instanceof CountersignError && e.code === code;

test('token rows are cached; revocations here are immediate, elsewhere within TOKEN_CACHE_MS', async () => {
  // Two processes on one store: the gateway and `countersign token revoke` (each its own connection).
  const gatewayStore = await openDatabase({ dataDir: dir });
  const cliStore = await openDatabase({ dataDir: dir });
  let now = 1_000_000;
  const clock = () => now;
  // Each appends its token changes to the one audit log of the store.
  const gatewayLog = await openAuditLog(gatewayStore, {});
  const cliLog = await openAuditLog(cliStore, {});
  const gateway = new TokenService(
    new TokenRepository(gatewayStore.db, gatewayLog),
    directory,
    clock,
  );
  const cli = new TokenService(new TokenRepository(cliStore.db, cliLog), directory, clock);
  try {
    const a = await cli.create('agent', 'exporter');
    const b = await cli.create('agent', 'exporter', { ttlMs: 5 * TOKEN_CACHE_MS });
    const u = await cli.create('user', 'alice');
    // A token created elsewhere is usable at once: unknown tokens are never cached.
    assert.equal((await gateway.authenticate(a.token)).id, 'exporter');
    assert.equal((await gateway.authenticate(b.token)).tokenId, b.id);
    assert.equal((await gateway.authenticate(u.token)).kind, 'user');

    // Revoked by another process: the cached row is trusted until it is TOKEN_CACHE_MS old.
    await cli.revoke(a.id);
    now += TOKEN_CACHE_MS - 1;
    assert.equal((await gateway.authenticate(a.token)).id, 'exporter');
    now += 1;
    await assert.rejects(gateway.authenticate(a.token), refusedWith('token_revoked'));

    // Revoked through this process: refused on the very next call, cached or not.
    assert.equal((await gateway.authenticate(u.token)).id, 'alice');
    await gateway.revokeAll('user', 'alice');
    await assert.rejects(gateway.authenticate(u.token), refusedWith('token_revoked'));

    // Expiry is checked against the clock on every call, whatever the cache holds.
    assert.equal((await gateway.authenticate(b.token)).id, 'exporter');
    now += 5 * TOKEN_CACHE_MS;
    await assert.rejects(gateway.authenticate(b.token), refusedWith('invalid_token'));
  } finally {
    await gatewayStore.close();
    await cliStore.close();
  }
});
