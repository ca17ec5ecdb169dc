import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  openCheckpoint,
  parseNoteVerifierKey,
  verifyConsistency,
  type Checkpoint,
} from '@countersign/core';
import {
  Cluster,
  eventually,
  postgresAvailable,
  run,
  sleep,
  type Replica,
  type Reply,
} from './replicas-harness.js';

/**
 * Three `countersign serve` processes on one PostgreSQL database, driven only through the
 * HTTP API (issue 13): cross-replica waits, vote and redeem races spread over replicas, kill -9
 * and SIGSTOP of a replica under load, timers whose creator was killed, and afterwards the
 * audit log exported, verified offline, and consistent between every pair of checkpoints.
 * Assertions are about outcomes (who won, what is stored, what the log says), never about
 * how long something took.
 */
const SMALL = { action: 'db.export', resource: 'pg://prod/customers', params: { rows: 5 } };
const LARGE = { action: 'db.export', resource: 'pg://prod/customers', params: { rows: 50_000 } };
const RESTORE = { action: 'db.restore', resource: 'pg://prod/customers', params: {} };
const RESTART = { action: 'k8s.rollout.restart', resource: 'k8s://prod/api', params: {} };
const FAILOVER = { action: 'db.failover', resource: 'pg://prod/primary', params: {} };

const TERMINAL = new Set(['approved', 'denied', 'expired', 'cancelled']);
const available = await postgresAvailable();

describe(
  'three replicas on one PostgreSQL database',
  {
    skip: available
      ? false
      : 'PostgreSQL is not reachable (set COUNTERSIGN_TEST_PG, default postgres://postgres@127.0.0.1:5432/postgres)',
  },
  () => {
    let cluster: Cluster;
    let a: Replica;
    let b: Replica;
    let c: Replica;
    let t: Cluster['tokens'];

    before(async () => {
      cluster = await Cluster.start(3);
      [a, b, c] = cluster.replicas as [Replica, Replica, Replica];
      t = cluster.tokens;
    });
    after(async () => {
      await cluster?.close();
    });

    const submit = async (via: Replica, body: object) => {
      const r = await via.call('POST', '/v1/actions', { token: t.agent, body });
      assert.equal(r.status, 201, `${via.name}: ${JSON.stringify(r.body)}`);
      return r.body as { id: string; status: string; grant: { token: string } | null };
    };
    const vote = (via: Replica, token: string, id: string, choice: 'approve' | 'deny') =>
      via.call('POST', `/v1/actions/${id}/votes`, { token, body: { vote: choice } });
    const read = async (via: Replica, id: string) => {
      const r = await via.call('GET', `/v1/actions/${id}`, { token: t.agent });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body;
    };

    test('a vote on C answers the long-poll, the SSE stream and the inbox stream on B', async () => {
      const id = (await submit(a, RESTORE)).id;
      const waiting = b.call('GET', `/v1/actions/${id}/wait?timeout=25`, { token: t.agent });
      const stream = await fetch(`${b.url}/v1/actions/${id}/events`, {
        headers: { authorization: `Bearer ${t.agent}` },
      });
      const inbox = await fetch(`${b.url}/v1/inbox/events`, {
        headers: { authorization: `Bearer ${t.frank}` },
      });
      const streamed = readUntil(stream, '"status":"approved"');
      const inInbox = readUntil(inbox, `"id":"${id}","status":"approved"`);
      await sleep(300); // let B's waiters subscribe
      const voted = await vote(c, t.alice, id, 'approve');
      assert.equal(voted.status, 200, JSON.stringify(voted.body));
      const answer = await waiting;
      assert.equal(answer.status, 200);
      assert.equal(answer.body.id, id);
      assert.equal(answer.body.status, 'approved');
      assert.deepEqual(
        answer.body.votes.map((v: { user: string }) => v.user),
        ['alice'],
      );
      assert.match(await streamed, new RegExp(`"id":"${id}"`));
      await inInbox;
      await stream.body?.cancel();
      await inbox.body?.cancel();
    });

    test('three reviewers racing on three replicas: the right decision, exactly once', async () => {
      const replicas = [a, b, c];
      const allApprove: string[] = [];
      const withDeny: string[] = [];
      for (let i = 0; i < 6; i++) allApprove.push((await submit(replicas[i % 3], LARGE)).id);
      for (let i = 0; i < 6; i++) withDeny.push((await submit(replicas[i % 3], LARGE)).id);
      // Each request gets its three votes at once, one reviewer per replica, the replica
      // rotating so that every replica sees every reviewer.
      const ballots = (id: string, i: number, bobVotes: 'approve' | 'deny') => [
        { user: 'alice', reply: vote(replicas[i % 3], t.alice, id, 'approve') },
        { user: 'frank', reply: vote(replicas[(i + 1) % 3], t.frank, id, 'approve') },
        { user: 'bob', reply: vote(replicas[(i + 2) % 3], t.bob, id, bobVotes) },
      ];
      const cast = [
        ...allApprove.map((id, i) => ({ id, deny: false, votes: ballots(id, i, 'approve') })),
        ...withDeny.map((id, i) => ({ id, deny: true, votes: ballots(id, i, 'deny') })),
      ];
      for (const { id, deny, votes } of cast) {
        const replies = await Promise.all(votes.map(async (v) => ({ ...v, r: await v.reply })));
        const counted = replies.filter((v) => v.r.status === 200).map((v) => v.user);
        for (const v of replies.filter((x) => x.r.status !== 200)) {
          assert.equal(v.r.status, 409, JSON.stringify(v.r.body));
          assert.equal(v.r.body.code, 'already_decided');
        }
        const record = await read(a, id);
        assert.deepEqual(
          record.votes.map((v: { user: string }) => v.user).sort(),
          [...counted].sort(),
          `${id}: the counted votes are the ones answered 200`,
        );
        if (deny && counted.includes('bob')) {
          assert.equal(record.status, 'denied', id);
          assert.equal(record.grant, null);
          assert.ok(counted.length <= 2);
        } else {
          assert.equal(record.status, 'approved', id);
          assert.equal(counted.length, 2, `${id}: quorum 2, ${counted.join(',')}`);
          assert.ok(record.grant?.token, `${id}: approved with a grant`);
        }
      }
      // One reviewer voting three times at once through three replicas: counted once.
      const id = (await submit(a, LARGE)).id;
      const same = await Promise.all([a, b, c].map((r) => vote(r, t.alice, id, 'approve')));
      assert.deepEqual(same.map((r) => r.status).sort(), [200, 409, 409]);
      for (const r of same.filter((x) => x.status === 409))
        assert.equal(r.body.code, 'already_voted');
      const record = await read(b, id);
      assert.equal(record.status, 'pending');
      assert.equal(record.votes.length, 1);
    });

    test('one grant redeemed on three replicas at once: exactly one succeeds', async () => {
      for (let i = 0; i < 5; i++) {
        const { grant, status } = await submit([a, b, c][i % 3], SMALL);
        assert.equal(status, 'approved');
        assert.ok(grant?.token);
        const replies = await Promise.all(
          [a, b, c].map((r) =>
            r.call('POST', '/v1/grants/redeem', { token: t.agent, body: { grant: grant.token } }),
          ),
        );
        const won = replies.filter((r) => r.status === 200);
        assert.equal(won.length, 1, JSON.stringify(replies.map((r) => r.body)));
        for (const r of replies.filter((x) => x.status !== 200)) {
          assert.equal(r.status, 409, JSON.stringify(r.body));
          assert.equal(r.body.code, 'grant_used');
        }
        // Every replica now says so, whichever one redeemed it.
        for (const r of [a, b, c]) {
          const again = await r.call('POST', '/v1/grants/verify', {
            token: t.agent,
            body: { grant: grant.token },
          });
          assert.equal(again.status, 200, JSON.stringify(again.body));
          assert.ok(again.body.redeemed_at, `${r.name} sees the redemption`);
        }
      }
    });

    test('kill -9 of a replica under load: the others carry on, nothing acknowledged is lost', async () => {
      const load = new Load([a, b, c], t, 'kill');
      const running = load.run(6);
      try {
        await eventually('load on every replica', async () =>
          ['A', 'B', 'C'].every((n) => load.done.some((d) => d.via === n)) ? true : undefined,
        );
        await c.kill();
        const killedAt = Date.now();
        // The balancer notices C is gone when a request to it fails (Load takes it out).
        await eventually('20 requests completed on A and B after the kill', async () =>
          load.done.filter((d) => d.at > killedAt).length >= 20 ? true : undefined,
        );
      } finally {
        load.stop();
        await running;
      }
      assert.deepEqual(load.failures, [], 'every request was answered by some replica');
      await load.check(a);
      // C comes back on the same database and serves again.
      await c.start();
      const record = await submit(c, SMALL);
      assert.equal(record.status, 'approved');
    });

    test('SIGSTOP of a replica under load: the others keep completing and stay ready', async () => {
      const load = new Load([a, b, c], t, 'stop');
      const running = load.run(6);
      try {
        await eventually('load on every replica', async () =>
          ['A', 'B', 'C'].every((n) => load.done.some((d) => d.via === n)) ? true : undefined,
        );
        b.signal('SIGSTOP');
        load.out.add(b); // what a balancer does once B's /readyz stops answering
        const stoppedAt = Date.now();
        const onOthers = () => load.done.filter((d) => d.at > stoppedAt && d.via !== 'B').length;
        // The others' /readyz, asked all along while B is frozen: each answer within 3 s.
        const readiness: Reply[] = [];
        let frozen = true;
        const probing = (async () => {
          while (frozen) {
            for (const r of [a, c])
              readiness.push(await r.call('GET', '/readyz', { timeoutMs: 3_000 }));
            await sleep(200);
          }
        })();
        try {
          // B was stopped mid-write and may hold row locks: requests on A and C still complete
          // while it stays frozen (at worst once PostgreSQL ends its idle transaction).
          await eventually(
            '10 requests completed on A and C while B is stopped (3 s at least)',
            async () => (onOthers() >= 10 && Date.now() - stoppedAt >= 3_000 ? true : undefined),
          );
        } finally {
          frozen = false;
          await probing;
          b.signal('SIGCONT');
        }
        for (const r of readiness) assert.equal(r.status, 200, JSON.stringify(r.body));
        load.out.delete(b);
        const resumedAt = Date.now();
        await eventually('B completes requests again after SIGCONT', async () =>
          load.done.some((d) => d.at > resumedAt && d.via === 'B') ? true : undefined,
        );
      } finally {
        load.stop();
        await running;
      }
      assert.deepEqual(load.failures, []);
      assert.equal((await b.call('GET', '/readyz')).status, 200);
      await load.check(b);
    });

    test('deadlines set on a replica that was then killed fire on the others', async () => {
      const expiring: string[] = [];
      const escalating: string[] = [];
      for (let i = 0; i < 4; i++) {
        expiring.push((await submit(c, RESTART)).id);
        escalating.push((await submit(c, FAILOVER)).id);
      }
      await c.kill();
      for (const id of expiring) {
        const expired = await eventually(`${id} expired`, async () => {
          const r = await a.call('GET', `/v1/actions/${id}/wait?timeout=5`, { token: t.agent });
          return r.body.status === 'expired' ? r.body : undefined;
        });
        assert.match(expired.reason, /expired \(fail closed\)/);
      }
      for (const id of escalating) {
        const escalated = await eventually(`${id} escalated`, async () => {
          const r = await b.call('GET', `/v1/actions/${id}`, { token: t.agent });
          return r.body.escalated_rules?.includes('failover') ? r.body : undefined;
        });
        assert.equal(escalated.status, 'pending');
      }
      // The escalation took effect: the SRE on call may now approve, on either replica.
      const approved = await vote(a, t.carol, escalating[0], 'approve');
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      assert.equal(approved.body.status, 'approved');
    });

    test('afterwards: every request is in the log exactly once, the export verifies offline, checkpoints are consistent', async () => {
      const live = [a, b];
      const requests = await listAll(a, t.root);
      assert.ok(requests.length > 50, `${requests.length} requests`);
      // Entries may be indexed shortly after their transaction commits: wait (bounded) until
      // the log, up to a signed checkpoint, holds the evidence of every stored request.
      const entries = await eventually(
        'a checkpoint covering every request',
        async () => {
          const cp = await a.call('GET', '/v1/audit/checkpoint', { token: t.root });
          if (cp.status !== 200) return undefined;
          const all = await readEntries(a, t.root, cp.body.size);
          return evidenceGaps(requests, all).length === 0 ? all : undefined;
        },
        20_000,
      );
      const problems = evidenceGaps(requests, entries, true);
      assert.deepEqual(problems, []);

      const out = mkdtempSync(join(tmpdir(), 'countersign-replicas-export-'));
      const exported = await run([
        'audit',
        'export',
        '--url',
        a.url,
        '--token',
        t.root,
        '--out',
        out,
        '--force',
      ]);
      assert.equal(exported.status, 0, exported.stdout + exported.stderr);
      const key = readFileSync(join(out, 'log-key.pub'), 'utf8').trim();
      // The key from B (another replica) is the one the export is checked against.
      const fromB = await b.call('GET', '/v1/audit/checkpoint', { token: t.root });
      assert.equal(fromB.body.verifier_key, key);
      const verified = await run(['audit', 'verify', out, '--key', key]);
      assert.equal(verified.status, 0, verified.stdout + verified.stderr);
      assert.match(verified.stdout, /^OK: \d+ entries verified/);
      const lines = readFileSync(join(out, 'entries.jsonl'), 'utf8').trim().split('\n');
      assert.ok(lines.length >= entries.length);
      assert.deepEqual(evidenceGaps(requests, lines, true), []);

      // Every pair of stored checkpoints: the later one extends the earlier one.
      const verifier = parseNoteVerifierKey(key);
      const listed = await b.call('GET', '/v1/audit/checkpoints?limit=10000', { token: t.root });
      const checkpoints = (listed.body.checkpoints as Array<{ note: string }>)
        .map((cp) => openCheckpoint(cp.note, [verifier]).checkpoint)
        .sort((x, y) => x.size - y.size);
      assert.ok(checkpoints.length >= 3, `${checkpoints.length} checkpoints`);
      const pairs: Array<[Checkpoint, Checkpoint]> = [];
      for (let i = 0; i < checkpoints.length; i++)
        for (let j = i + 1; j < checkpoints.length; j++)
          pairs.push([checkpoints[i], checkpoints[j]] as [Checkpoint, Checkpoint]);
      // Eight proofs in flight at a time, alternating between the two live replicas.
      let proved = 0;
      const prove = async (worker: number) => {
        for (let k = worker; k < pairs.length; k += 8) {
          const [older, newer] = pairs[k];
          const via = live[k % live.length];
          const proof =
            older.size === newer.size
              ? []
              : (
                  await via.call(
                    'GET',
                    `/v1/audit/proofs/consistency?from=${older.size}&to=${newer.size}`,
                    { token: t.root },
                  )
                ).body.proof.map((p: string) => new Uint8Array(Buffer.from(p, 'base64')));
          assert.equal(
            verifyConsistency(older.size, newer.size, proof, older.rootHash, newer.rootHash),
            true,
          );
          proved++;
        }
      };
      await Promise.all(Array.from({ length: 8 }, (_, w) => prove(w)));
      assert.equal(proved, (checkpoints.length * (checkpoints.length - 1)) / 2);
    });
  },
);

/** Reads a server-sent event stream until `needle` appears; returns what was read. */
async function readUntil(res: Response, needle: string): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    text += decoder.decode(chunk, { stream: true });
    if (text.includes(needle)) return text;
  }
  throw new Error(`the stream ended without ${needle}: ${text}`);
}

interface Done {
  at: number;
  via: string;
}

/**
 * Load spread over the replicas as a balancer would: each worker submits requests (one
 * auto-approved, one that needs a vote, in turn) and votes on the second, round-robin over
 * the replicas in rotation. A request that gets no answer (the replica died or froze) or a 503
 * is retried, with the same idempotency key, on the next replica; the replica leaves the
 * rotation. Records every acknowledged request for `check`.
 */
class Load {
  readonly done: Done[] = [];
  readonly out = new Set<Replica>();
  readonly failures: string[] = [];
  /** Acknowledged submissions: idempotency key → what the gateway answered. */
  readonly acked = new Map<string, { id: string; body: object; voted: boolean }>();
  #stopped = false;
  #next = 0;

  constructor(
    private readonly replicas: Replica[],
    private readonly tokens: Cluster['tokens'],
    private readonly label: string,
  ) {}

  async run(workers: number): Promise<void> {
    await Promise.all(Array.from({ length: workers }, (_, w) => this.#worker(w)));
  }

  stop(): void {
    this.#stopped = true;
  }

  #pick(): Replica {
    const live = this.replicas.filter((r) => !this.out.has(r));
    return live[this.#next++ % live.length];
  }

  /** Sends until some replica answers with something other than 503. */
  async #send(
    method: string,
    path: string,
    token: string,
    body: object,
  ): Promise<{ r: Reply; via: Replica; retried: boolean }> {
    let retried = false;
    for (let attempt = 0; attempt < 20; attempt++) {
      const via = this.#pick();
      const r = await via.call(method, path, { token, body, timeoutMs: 15_000 });
      if (r.status !== 0 && r.status !== 503) return { r, via, retried };
      if (r.status === 0) this.out.add(via);
      retried = true;
      await sleep(50);
    }
    throw new Error(`no replica answered ${method} ${path}`);
  }

  async #worker(w: number): Promise<void> {
    for (let n = 0; !this.#stopped; n++) {
      const key = `${this.label}-${w}-${n}`;
      const body = { ...(n % 2 === 0 ? SMALL : RESTORE), idempotency_key: key };
      try {
        const sent = await this.#send('POST', '/v1/actions', this.tokens.agent, body);
        if (sent.r.status !== 201 && sent.r.status !== 200) {
          this.failures.push(`${key}: ${sent.r.status} ${JSON.stringify(sent.r.body)}`);
          continue;
        }
        const id = sent.r.body.id as string;
        this.acked.set(key, { id, body, voted: false });
        this.done.push({ at: Date.now(), via: sent.via.name });
        if (sent.r.body.status !== 'pending') continue;
        const voted = await this.#send('POST', `/v1/actions/${id}/votes`, this.tokens.alice, {
          vote: 'approve',
        });
        // A retried vote may find its first attempt committed: that one counted.
        const ok =
          voted.r.status === 200 ||
          (voted.retried &&
            voted.r.status === 409 &&
            ['already_voted', 'already_decided'].includes(voted.r.body.code));
        if (!ok) {
          this.failures.push(`vote ${id}: ${voted.r.status} ${JSON.stringify(voted.r.body)}`);
          continue;
        }
        this.acked.set(key, { id, body, voted: true });
        this.done.push({ at: Date.now(), via: voted.via.name });
      } catch (e) {
        this.failures.push(`${key}: ${String(e)}`);
      }
    }
  }

  /**
   * Every acknowledged request is stored as acknowledged, through `via`: an acknowledged
   * vote's request is approved; a retry of its submission, with the same key, replays it.
   */
  async check(via: Replica): Promise<void> {
    const acked = [...this.acked];
    const one = async ([key, ack]: (typeof acked)[number]) => {
      const r = await via.call('GET', `/v1/actions/${ack.id}`, { token: this.tokens.agent });
      assert.equal(r.status, 200, `${key}: ${JSON.stringify(r.body)}`);
      if (ack.voted || (ack.body as { action: string }).action === 'db.export') {
        assert.equal(r.body.status, 'approved', key);
        assert.ok(r.body.grant?.token, `${key}: approved with its grant`);
      }
      const replay = await via.call('POST', '/v1/actions', {
        token: this.tokens.agent,
        body: ack.body,
      });
      assert.equal(replay.status, 200, `${key}: ${JSON.stringify(replay.body)}`);
      assert.equal(replay.body.id, ack.id, `${key}: one request per idempotency key`);
    };
    // Eight at a time.
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let k = w; k < acked.length; k += 8) await one(acked[k]);
      }),
    );
  }
}

async function listAll(
  via: Replica,
  token: string,
): Promise<Array<{ id: string; status: string }>> {
  const items: Array<{ id: string; status: string }> = [];
  let cursor: string | null = null;
  do {
    const page = await via.call(
      'GET',
      `/v1/actions?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { token },
    );
    assert.equal(page.status, 200, JSON.stringify(page.body));
    items.push(...(page.body.items as Array<{ id: string; status: string }>));
    cursor = page.body.next_cursor as string | null;
  } while (cursor);
  return items;
}

async function readEntries(via: Replica, token: string, size: number): Promise<string[]> {
  const out: string[] = [];
  while (out.length < size) {
    const page = await via.call('GET', `/v1/audit/entries?from=${out.length}&to=${size}`, {
      token,
    });
    assert.equal(page.status, 200, JSON.stringify(page.body));
    if (page.body.entries.length === 0) break;
    out.push(...(page.body.entries as string[]));
  }
  return out;
}

/**
 * What the log should say about the stored requests, and where it does not: each request has
 * one submission, one policy decision, and, if it was decided later, exactly one decision entry
 * matching its status; one `grant.issued` per vote approval, at most one redemption per grant.
 * `strict` also reports entries that contradict the store (a second decision, a wrong status);
 * without it only missing evidence is reported (the log may still be catching up).
 */
function evidenceGaps(
  requests: Array<{ id: string; status: string }>,
  entries: string[],
  strict = false,
): string[] {
  type Entry = { type: string; request_id?: string; data: Record<string, unknown> };
  const byRequest = new Map<string, Entry[]>();
  const redeemed = new Map<string, number>();
  for (const text of entries) {
    const e = JSON.parse(text) as Entry;
    if (e.type === 'grant.redeemed') {
      const jti = String(e.data.jti);
      redeemed.set(jti, (redeemed.get(jti) ?? 0) + 1);
    }
    if (!e.request_id) continue;
    const list = byRequest.get(e.request_id) ?? [];
    list.push(e);
    byRequest.set(e.request_id, list);
  }
  const gaps: string[] = [];
  for (const r of requests) {
    const log = byRequest.get(r.id) ?? [];
    const count = (type: string) => log.filter((e) => e.type === type).length;
    const byPolicy = log.find((e) => e.type === 'action.decided_by_policy');
    const decisions = log.filter((e) => TERMINAL.has(e.type.replace(/^action\./, '')));
    if (count('action.submitted') === 0 || !byPolicy) {
      gaps.push(`${r.id}: no submission evidence`);
      continue;
    }
    const decidedByPolicy = byPolicy.data.status !== 'pending';
    if (TERMINAL.has(r.status) && !decidedByPolicy && decisions.length === 0) {
      gaps.push(`${r.id}: ${r.status} with no decision entry`);
      continue;
    }
    const votedApproval = r.status === 'approved' && !decidedByPolicy;
    if (votedApproval && count('grant.issued') === 0) gaps.push(`${r.id}: no grant.issued`);
    if (!strict) continue;
    if (count('action.submitted') !== 1 || count('action.decided_by_policy') !== 1)
      gaps.push(`${r.id}: submitted ${count('action.submitted')} times`);
    if (decidedByPolicy && (byPolicy.data.status !== r.status || decisions.length !== 0))
      gaps.push(`${r.id}: decided by policy as ${String(byPolicy.data.status)}, now ${r.status}`);
    if (!decidedByPolicy && decisions.length !== (TERMINAL.has(r.status) ? 1 : 0))
      gaps.push(`${r.id}: ${decisions.length} decision entries for a ${r.status} request`);
    if (!decidedByPolicy && decisions[0] && decisions[0].type !== `action.${r.status}`)
      gaps.push(`${r.id}: logged ${decisions[0].type}, stored ${r.status}`);
    if (count('grant.issued') !== (votedApproval ? 1 : 0))
      gaps.push(`${r.id}: ${count('grant.issued')} grants issued`);
  }
  for (const [jti, n] of redeemed) if (n > 1) gaps.push(`grant ${jti} redeemed ${n} times`);
  return gaps;
}
