import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalJson,
  leafHash,
  openCheckpoint,
  parseNoteVerifierKey,
  verifyInclusion,
  type JsonValue,
} from '@countersign/core';
import { toOcsfEvent } from '../src/audit/ocsf-event.js';
import { DIRECTORY, dialects, startGateway, type TestGateway } from './harness.js';
import { validateConformance } from './ocsf-conformance.js';
import { OcsfValidator, ocsfSchemaAvailable } from './ocsf-validator.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OCSF events are arbitrary JSON
type Event = any;
const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const HOSTILE = 'line one\n{"class_uid":0}\u001b[2J\u202e <b>approve me</b>';

/**
 * Every event is checked against our committed conformance schema (always, CI included) and,
 * when vendored (scripts/vendor-ocsf-schema.mjs), against the full published schema too.
 */
const validator = ocsfSchemaAvailable() ? new OcsfValidator() : undefined;
const SKIP_SCHEMA = validator
  ? false
  : 'full OCSF schema not present: run scripts/vendor-ocsf-schema.mjs (docs/ocsf.md)';
const ONLY_OWN = `${SKIP_SCHEMA}; events checked against the committed conformance schema only`;

function assertValid(event: Event, what: string) {
  const own = validateConformance(event);
  assert.ok(own.ok, `${what} (conformance schema): ${own.ok ? '' : own.errors.join('\n')}`);
  if (!validator) return;
  const result = validator.validate(event);
  assert.ok(result.ok, `${what} (published schema): ${result.ok ? '' : result.errors.join('\n')}`);
}

for (const dialect of await dialects()) {
  describe(`OCSF export (${dialect})`, () => {
    let gw: TestGateway;
    let agent: string;
    let auditor: string;
    before(async () => {
      gw = await startGateway({
        dialect,
        directory: {
          ...DIRECTORY,
          users: [...(DIRECTORY.users ?? []), { id: 'audrey', groups: [], auditor: true }],
        },
      });
      agent = await gw.token('agent', 'exporter');
      auditor = await gw.token('user', 'audrey');
    });
    after(() => gw.close());

    const exportRaw = (query: string, token = auditor) =>
      fetch(`${gw.url}/v1/audit/export?${query}`, {
        headers: { authorization: `Bearer ${token}` },
      });
    const exportLines = async (query = 'format=ocsf') => {
      const res = await exportRaw(query);
      assert.equal(res.status, 200, await res.clone().text());
      assert.match(res.headers.get('content-type') ?? '', /^application\/x-ndjson/);
      const text = await res.text();
      const lines = text === '' ? [] : text.slice(0, -1).split('\n');
      assert.ok(text === '' || text.endsWith('\n'));
      const from = Number(res.headers.get('x-countersign-audit-from'));
      const to = Number(res.headers.get('x-countersign-audit-to'));
      assert.equal(lines.length, to - from, 'one line per entry of the announced range');
      return { lines, events: lines.map((l) => JSON.parse(l)), from, to };
    };
    const submit = (params: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      gw.call('POST', '/v1/actions', {
        token: agent,
        body: {
          action: 'db.export',
          resource: 'pg://prod',
          environment: 'production',
          params,
          ...extra,
        },
      });

    test('OCSF 1.9 (Entity Management, User Access Management, Base Event): every entry of a real log is one valid event, with its agent, approvers and integrity evidence', async (t) => {
      if (SKIP_SCHEMA) t.diagnostic(ONLY_OWN);
      const alice = await gw.token('user', 'alice');
      const frank = await gw.token('user', 'frank');
      const bob = await gw.token('user', 'bob');
      await submit({ rows: 5 }); // allowed by policy
      const big = await submit({ rows: 50000 }, { justification: HOSTILE });
      const id = big.body.id as string;
      await gw.call('POST', `/v1/actions/${id}/votes`, { token: bob, body: { vote: 'approve' } });
      await gw.call('POST', `/v1/actions/${id}/votes`, {
        token: alice,
        body: { vote: 'approve', comment: HOSTILE },
      });
      await gw.call('POST', `/v1/actions/${id}/votes`, { token: frank, body: { vote: 'approve' } });
      const grant = (await gw.call('GET', `/v1/actions/${id}`, { token: agent })).body.grant
        .token as string;
      await gw.call('POST', '/v1/grants/redeem', { body: { grant } });
      await gw.call('POST', `/v1/actions/${id}/result`, {
        token: agent,
        body: { outcome: 'completed' },
      });
      const denied = await submit({ rows: 60000 });
      await gw.call('POST', `/v1/actions/${denied.body.id}/votes`, {
        token: alice,
        body: { vote: 'deny' },
      });
      const cancelled = await submit({ rows: 70000 });
      await gw.call('POST', `/v1/actions/${cancelled.body.id}/cancel`, { token: agent, body: {} });
      await gw.call('GET', '/v1/audit/entries?from=0', { token: agent }); // api.refused
      // A batch (quorum of two: both stay pending), then the same batch again: refused.
      const batch = [
        (await submit({ rows: 80000 })).body,
        (await submit({ rows: 90000 })).body,
      ].map((r: { id: string; digest: string }) => ({ id: r.id, digest: r.digest }));
      for (let i = 0; i < 2; i++) {
        await gw.call('POST', '/v1/batches/votes', {
          token: alice,
          body: { vote: 'approve', items: batch },
        });
      }

      const { events, lines, to } = await exportLines();
      assert.ok(to >= 15, `only ${to} entries`);
      const types = new Set<string>();
      for (const [i, e] of events.entries()) {
        const cs = e.unmapped.countersign;
        types.add(cs.type);
        assertValid(e, `entry ${i} (${cs.type})`);
        assert.equal(e.metadata.version, '1.9.0');
        assert.equal(e.metadata.sequence, i);
        assert.equal(e.type_uid, e.class_uid * 100 + e.activity_id);
        // Record integrity: raw_data is the leaf, prev chains, the checkpoint includes it.
        const leaf = leafHash(Buffer.from(e.raw_data, 'utf8'));
        assert.equal(Buffer.from(leaf).toString('base64'), cs.leaf_hash);
        assert.equal(cs.prev, i === 0 ? null : events[i - 1].unmapped.countersign.leaf_hash);
        assert.ok(cs.checkpoint.size > i);
        assert.equal(canonicalJson(JSON.parse(e.raw_data) as JsonValue), e.raw_data);
      }
      for (const t of [
        'policy.loaded',
        'token.created',
        'action.submitted',
        'action.decided_by_policy',
        'action.vote_counted',
        'action.vote_refused',
        'action.approved',
        'action.denied',
        'action.cancelled',
        'grant.issued',
        'grant.redeemed',
        'action.result_reported',
        'api.refused',
        'action.batch_voted',
        'action.batch_refused',
      ]) {
        assert.ok(types.has(t), `no ${t} in the export`);
      }

      const of = (type: string) =>
        events.filter((e: Event) => e.unmapped.countersign.type === type);
      const approved = of('action.approved').find((e: Event) => e.metadata.correlation_uid === id);
      assert.equal(approved.class_uid, 3004);
      assert.equal(approved.disposition_id, 8);
      assert.equal(approved.entity.uid, id);
      assert.equal(approved.ai_agent.uid, 'exporter');
      assert.deepEqual([...approved.unmapped.countersign.approvers].sort(), ['alice', 'frank']);
      const issued = of('grant.issued')[0];
      assert.equal(issued.class_uid, 3005);
      assert.equal(issued.activity_id, 1);
      assert.equal(issued.user.uid, 'exporter');
      assert.deepEqual(issued.privileges, ['db.export']);
      const vote = of('action.vote_counted').find((e: Event) => e.actor.user.uid === 'alice');
      assert.equal(vote.comment, HOSTILE, 'agent-controlled text stays data, verbatim');
      assert.equal(of('action.vote_refused')[0].status_code, 'self_approval_forbidden');
      const submitted = of('action.submitted').find((e: Event) => e.entity.uid === id);
      assert.equal(submitted.actor.user.type, 'AI Agent');
      assert.equal(submitted.comment, HOSTILE);
      for (const e of events) assert.ok(!String(e.message).includes('approve me'), e.message);
      assert.equal(lines.length, to, 'hostile newlines did not split a line');
      for (const line of lines) {
        assert.doesNotMatch(
          line,
          /[\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/,
          'escaped, not raw',
        );
      }
      assert.equal(of('api.refused')[0].class_uid, 0);
      const [voted] = of('action.batch_voted');
      assert.equal(voted.class_uid, 3004);
      assert.equal(voted.activity_name, 'Vote Batch');
      assert.deepEqual(
        voted.entity.data.items,
        batch.map((i) => i.id),
      );
      const [refused] = of('action.batch_refused');
      assert.equal(refused.status_code, 'batch_changed');
      assert.equal(refused.disposition_id, 25);

      // The checkpoint is the real signed note, and proves the entry's inclusion.
      const key = (await gw.call('GET', '/v1/audit/checkpoint', { token: auditor })).body
        .verifier_key as string;
      const { checkpoint } = openCheckpoint(approved.unmapped.countersign.checkpoint.note, [
        parseNoteVerifierKey(key),
      ]);
      const index = approved.metadata.sequence as number;
      const proof = (
        await gw.call('GET', `/v1/audit/proofs/inclusion?index=${index}&size=${checkpoint.size}`, {
          token: auditor,
        })
      ).body;
      assert.ok(
        verifyInclusion(
          leafHash(Buffer.from(approved.raw_data, 'utf8')),
          index,
          checkpoint.size,
          proof.proof.map(b64),
          checkpoint.rootHash,
        ),
      );
      assert.equal(approved.unmapped.countersign.checkpoint.root_hash, proof.root_hash);
    });

    test('resume: from/to select entries by index, and an entry exports to the same line every time', async () => {
      const first = await exportLines();
      await submit({ rows: 5 }); // the log grows, a newer checkpoint is signed
      const k = Math.floor(first.to / 2);
      const resumed = await exportLines(`format=ocsf&from=${k}`);
      assert.ok(resumed.to > first.to);
      assert.equal(resumed.events[0].metadata.sequence, k);
      assert.deepEqual(resumed.lines.slice(0, first.to - k), first.lines.slice(k));
      const window = await exportLines(`format=ocsf&from=2&to=5`);
      assert.deepEqual(
        window.events.map((e: Event) => e.metadata.sequence),
        [2, 3, 4],
      );
      const end = await exportLines(`format=ocsf&from=${resumed.to}`);
      assert.equal(end.lines.length, 0);
      const beyond = await exportRaw(`format=ocsf&from=${resumed.to + 1}`);
      assert.equal(beyond.status, 400);
      assert.equal(((await beyond.json()) as { code: string }).code, 'tree_size_out_of_range');
      const otherFormat = await exportRaw('format=csv');
      assert.equal(otherFormat.status, 400);
      assert.equal(
        ((await otherFormat.clone().json()) as { code: string }).code,
        'invalid_request',
      );
      assert.match(otherFormat.headers.get('content-type') ?? '', /application\/problem\+json/);
    });

    test('attacker: an agent, a plain user, a forged token and nobody are refused with problem+json, audited, and read nothing', async () => {
      const mallory = await gw.token('user', 'mallory');
      const before = (await exportLines()).to;
      for (const [who, token, status, code] of [
        ['agent', agent, 403, 'forbidden'],
        ['plain user', mallory, 403, 'forbidden'],
        ['forged token', 'csu_forged_token_0000000000000000', 401, 'invalid_token'],
      ] as const) {
        const res = await exportRaw('format=ocsf', token);
        assert.equal(res.status, status, who);
        assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, who);
        const body = (await res.json()) as { code: string };
        assert.equal(body.code, code, who);
      }
      const anonymous = await fetch(`${gw.url}/v1/audit/export?format=ocsf`);
      assert.equal(anonymous.status, 401);
      const after = await exportLines(`format=ocsf&from=${before}`);
      const refusals = after.events.filter(
        (e: Event) =>
          e.unmapped.countersign.type === 'api.refused' &&
          e.unmapped.countersign.data.route === '/v1/audit/export',
      );
      const refused = refusals.map((e: Event) => e.actor.user.uid);
      assert.ok(refused.includes('exporter') && refused.includes('mallory'), refused.join());
      for (const e of refusals) assertValid(e, 'the refusal');
    });
  });
}

describe('OCSF 1.9 mapping, the conformance schema and the published schema', () => {
  const checkpoint = { origin: 'test/log', size: 2, root_hash: 'AAAA', note: 'note' };
  const entry = (type: string, data: Record<string, unknown> = {}) =>
    canonicalJson({
      v: 1,
      index: 1,
      prev: 'MS31m26ouYlD6PSwRG8i0bxExDGxL3tk5iqVKLj7i6E=',
      at: '2026-01-15T09:30:01.000Z',
      type,
      actor: { kind: 'user', id: 'root' },
      data,
    } as JsonValue);
  const event = (type: string, data?: Record<string, unknown>) =>
    toOcsfEvent({ text: entry(type, data), leafHash: 'x', checkpoint, productVersion: '0.1.0' });

  test('an event type added later (directory changes) falls back to a valid Base Event', (t) => {
    if (SKIP_SCHEMA) t.diagnostic(ONLY_OWN);
    const e = event('directory.user_added', { user: 'zed', groups: ['a'] });
    assert.equal(e.class_uid, 0);
    assert.equal(e.activity_id, 99);
    assert.equal(e.activity_name, 'directory.user_added');
    assert.deepEqual((e.unmapped as Event).countersign.data, { user: 'zed', groups: ['a'] });
    assertValid(e, 'fallback');
  });

  test('each mapped administrative type is valid (token, key, config, policy)', (t) => {
    if (SKIP_SCHEMA) t.diagnostic(ONLY_OWN);
    for (const [type, data] of [
      ['token.created', { token_id: 't1', principal: { kind: 'agent', id: 'a' }, label: null }],
      ['token.created', { token_id: 't2', principal: { kind: 'user', id: 'u' }, login_link: 'l' }],
      ['token.revoked', { token_id: 't2', reason: 'logout' }],
      ['token.revoked', { token_id: 't1' }],
      ['key.rotated', { purpose: 'grants', kid: 'k2', retired: 'k1' }],
      ['config.changed', { accepted_with: '--accept-config-change', changes: ['x'] }],
      ['policy.reload_refused', { file: 'p.yaml', kept_version: 'v', error: 'bad' }],
      ['action.escalated', { status: 'pending', reason: 'r', escalated_rules: [] }],
      ['action.expired', { status: 'expired', reason: 'timeout' }],
      ['action.notified', { delivery: 'd', target: 'slack', event: 'e', status: 'failed' }],
    ] as const) {
      assertValid(event(type, data), type);
    }
  });

  test(
    'the converter compiles every IAM and Application Activity class of the schema, with and without profiles',
    {
      skip: SKIP_SCHEMA,
    },
    () => {
      const uids = validator!.classUids();
      for (const uid of [0, 3001, 3002, 3003, 3004, 3005, 3006, 6002, 6003]) {
        assert.ok(uids.includes(uid), `class ${uid}`);
      }
      for (const uid of uids) {
        validator!.compileClass(uid, []);
        validator!.compileClass(uid, ['security_control', 'host', 'ai_operation', 'cloud']);
      }
    },
  );

  test('OCSF 1.9: the validation can fail, a broken event is rejected by the conformance schema and, when present, the published one', (t) => {
    if (SKIP_SCHEMA) t.diagnostic(ONLY_OWN);
    const good = event('action.approved', { status: 'approved', reason: 'ok' });
    assertValid(good, 'the unbroken event');
    const rejected = (what: string, change: (e: Event) => void, upstreamToo = true) => {
      const e = structuredClone(good) as Event;
      change(e);
      assert.equal(validateConformance(e).ok, false, `conformance schema accepts ${what}`);
      if (validator && upstreamToo) {
        assert.equal(validator.validate(e).ok, false, `published schema accepts ${what}`);
      }
    };
    rejected('a required attribute missing (metadata.version)', (e) => delete e.metadata.version);
    rejected("the class's required entity missing", (e) => delete e.entity);
    rejected('an attribute OCSF does not define', (e) => (e.approvers = ['a']));
    rejected('a misspelt attribute', (e) => (e.disposition_ids = 8));
    rejected('a misspelt object attribute', (e) => (e.entity.ui = e.entity.uid));
    rejected('an enum value not in OCSF', (e) => (e.disposition_id = 123));
    rejected('an action_id not in OCSF', (e) => (e.action_id = 7));
    rejected('type_uid of another class', (e) => (e.type_uid = 300201));
    rejected('a class_uid the export does not emit', (e) => (e.class_uid = 6003));
    rejected('a timestamp that is a string', (e) => (e.time = '2026-01-15'));
    rejected('an actor with nobody in it', (e) => (e.actor = {}));
    // Stricter than the published schema (which has no arithmetic nor caption pairing).
    rejected('type_uid of another activity', (e) => (e.type_uid = 300401), false);
    rejected(
      'a disposition caption that contradicts its id',
      (e) => (e.disposition = 'Rejected'),
      false,
    );
    rejected('another OCSF version', (e) => (e.metadata.version = '1.8.0'), false);
    rejected('a Security Control attribute without the profile declared', (e) => {
      e.metadata.profiles = ['ai_operation'];
    });
    rejected('ai_agent without the AI Operation profile declared', (e) => {
      e.ai_agent = { uid: 'exporter', name: 'exporter' };
      e.metadata.profiles = ['security_control'];
    });
    rejected(
      'the integrity evidence missing',
      (e) => delete e.unmapped.countersign.leaf_hash,
      false,
    );
  });
});
