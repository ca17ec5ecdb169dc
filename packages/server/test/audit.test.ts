import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalJson,
  leafHash,
  openCheckpoint,
  parseNoteVerifierKey,
  verifyConsistency,
  verifyInclusion,
  type AuditEntry,
  type JsonValue,
} from '@countersign/core';
import { POLICY, dialects, startGateway, type TestGateway } from './harness.js';

const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const SECRET = 'hunter2-correct-horse';

for (const dialect of await dialects()) {
  describe(`audit log (${dialect})`, () => {
    let gw: TestGateway;
    let agent: string;
    let auditor: string;
    before(async () => {
      gw = await startGateway({
        dialect,
        policy: POLICY.replace('rules:', 'redact: [params.password, context.api_key]\nrules:'),
      });
      agent = await gw.token('agent', 'exporter');
      auditor = await gw.token('user', 'root');
    });
    after(() => gw.close());

    const all = async (): Promise<AuditEntry[]> => {
      const size = (await gw.call('GET', '/v1/audit/entries?from=0&to=0', { token: auditor })).body
        .size as number;
      const out: string[] = [];
      for (let from = 0; from < size; from += 1000) {
        out.push(
          ...(await gw.call('GET', `/v1/audit/entries?from=${from}&to=${size}`, { token: auditor }))
            .body.entries,
        );
      }
      return out.map((t) => JSON.parse(t) as AuditEntry);
    };

    test("a request's whole life is in the log, in order, chained and canonical", async () => {
      const alice = await gw.token('user', 'alice');
      const frank = await gw.token('user', 'frank');
      const bob = await gw.token('user', 'bob');
      const req = await gw.call('POST', '/v1/actions', {
        token: agent,
        body: {
          action: 'db.export',
          resource: 'pg://prod',
          environment: 'production',
          params: { rows: 50000 },
        },
      });
      await gw.call('POST', `/v1/actions/${req.body.id}/votes`, {
        token: bob,
        body: { vote: 'approve' },
      }); // owner: refused
      await gw.call('POST', `/v1/actions/${req.body.id}/votes`, {
        token: alice,
        body: { vote: 'approve', comment: 'ok' },
      });
      const approved = await gw.call('POST', `/v1/actions/${req.body.id}/votes`, {
        token: frank,
        body: { vote: 'approve' },
      });
      assert.equal(approved.body.status, 'approved');
      const grant = (await gw.call('GET', `/v1/actions/${req.body.id}`, { token: agent })).body
        .grant.token as string;
      assert.equal((await gw.call('POST', '/v1/grants/redeem', { body: { grant } })).status, 200);
      await gw.call('POST', `/v1/actions/${req.body.id}/result`, {
        token: agent,
        body: { outcome: 'completed' },
      });

      const entries = await all();
      const mine = entries.filter((e) => e.request_id === req.body.id).map((e) => e.type);
      assert.deepEqual(mine, [
        'action.submitted',
        'action.decided_by_policy',
        'action.vote_refused',
        'action.vote_counted',
        'action.vote_counted',
        'action.approved',
        'grant.issued',
        'grant.redeemed',
        'action.result_reported',
      ]);
      const refused = entries.find(
        (e) => e.request_id === req.body.id && e.type === 'action.vote_refused',
      );
      assert.deepEqual(refused?.actor, { kind: 'user', id: 'bob' });
      assert.equal(refused?.data.code, 'self_approval_forbidden');
      const decided = entries.find(
        (e) => e.request_id === req.body.id && e.type === 'action.decided_by_policy',
      );
      assert.equal(decided?.data.policy_version, req.body.policy_version);
      assert.deepEqual(decided?.data.rules, ['prod-large-export']);
      // dense, chained, canonical
      let prev: string | null = null;
      entries.forEach((e, i) => {
        assert.equal(e.index, i);
        assert.equal(e.prev, prev);
        const text = canonicalJson(e as unknown as JsonValue);
        prev = Buffer.from(leafHash(Buffer.from(text, 'utf8'))).toString('base64');
      });
      assert.equal(entries[0]?.type, 'policy.loaded');
      assert.ok(
        entries.some(
          (e) =>
            e.type === 'token.created' && (e.data.principal as { id: string }).id === 'exporter',
        ),
      );
    });

    test('refusals are evidence: an agent probing a reviewer endpoint is recorded', async () => {
      const res = await gw.call('GET', '/v1/actions?status=pending', { token: agent });
      assert.equal(res.status, 403);
      const entries = await all();
      const last = entries.filter((e) => e.type === 'api.refused').at(-1);
      assert.deepEqual(last?.actor, { kind: 'agent', id: 'exporter' });
      assert.equal(last?.data.code, 'forbidden');
      assert.equal(last?.data.request_id, res.body.request_id);
    });

    test('checkpoints are signed C2SP notes and proofs from the API verify against them', async () => {
      const cp = (await gw.call('GET', '/v1/audit/checkpoint', { token: auditor })).body;
      const verifier = parseNoteVerifierKey(cp.verifier_key as string);
      const { checkpoint } = openCheckpoint(cp.note as string, [verifier]);
      assert.equal(checkpoint.size, cp.size);
      assert.equal(Buffer.from(checkpoint.rootHash).toString('base64'), cp.root_hash);
      const entries = (
        await gw.call('GET', `/v1/audit/entries?from=0&to=${cp.size}`, { token: auditor })
      ).body.entries as string[];
      for (const index of [0, Math.floor(cp.size / 2), cp.size - 1]) {
        const p = (
          await gw.call('GET', `/v1/audit/proofs/inclusion?index=${index}&size=${cp.size}`, {
            token: auditor,
          })
        ).body;
        const leaf = leafHash(Buffer.from(entries[index], 'utf8'));
        assert.equal(Buffer.from(leaf).toString('base64'), p.leaf_hash);
        assert.equal(
          verifyInclusion(leaf, index, cp.size, p.proof.map(b64), checkpoint.rootHash),
          true,
        );
      }
      // the log grows; the new checkpoint is consistent with the old one
      await gw.call('POST', '/v1/actions', {
        token: agent,
        body: { action: 'db.export', resource: 'x', params: { rows: 1 } },
      });
      const next = (await gw.call('GET', '/v1/audit/checkpoint', { token: auditor })).body;
      assert.ok(next.size > cp.size);
      const c = (
        await gw.call('GET', `/v1/audit/proofs/consistency?from=${cp.size}&to=${next.size}`, {
          token: auditor,
        })
      ).body;
      assert.equal(
        verifyConsistency(
          cp.size,
          next.size,
          c.proof.map(b64),
          checkpoint.rootHash,
          b64(next.root_hash),
        ),
        true,
      );
    });

    test('redacted params never reach the log; equal values correlate', async () => {
      for (const i of [1, 2]) {
        await gw.call('POST', '/v1/actions', {
          token: agent,
          body: {
            action: 'db.export',
            resource: 'x',
            params: { rows: i, password: SECRET },
            context: { api_key: SECRET },
          },
        });
      }
      const size = (await gw.call('GET', '/v1/audit/checkpoint', { token: auditor })).body.size;
      const raw = (
        await gw.call('GET', `/v1/audit/entries?from=0&to=${size}`, { token: auditor })
      ).body.entries.join('\n') as string;
      assert.ok(!raw.includes(SECRET), 'no plaintext of a redacted field in the log');
      const rows = await gw.gateway.storage.db
        .selectFrom('audit_entries')
        .select('entry')
        .execute();
      assert.ok(!rows.some((r) => r.entry.includes(SECRET)));
      const submitted = (await all()).filter(
        (e) => e.type === 'action.submitted' && (e.data.params as { password?: unknown }).password,
      );
      const tags = submitted.map((e) =>
        JSON.stringify((e.data.params as { password: unknown }).password),
      );
      assert.equal(tags.length, 2);
      assert.equal(tags[0], tags[1]);
      assert.match(tags[0], /hmac-sha256:[0-9a-f]{64}/);
    });

    test('only auditors and admins read the log', async () => {
      const alice = await gw.token('user', 'alice');
      for (const token of [agent, alice]) {
        const res = await gw.call('GET', '/v1/audit/checkpoint', { token });
        assert.equal(res.status, 403);
        assert.equal(res.body.code, 'forbidden');
      }
      const bad = await gw.call('GET', '/v1/audit/proofs/inclusion?index=999999&size=3', {
        token: auditor,
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, 'tree_size_out_of_range');
    });
  });
}
