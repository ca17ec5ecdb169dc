import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from './harness.js';

/** One sample's value from the Prometheus text format, or undefined if absent. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => have.includes(`${k}="${v}"`))) return Number(m[3]);
  }
  return undefined;
}

/**
 * A round trip through the gateway, then a scrape: each metric an operator alerts on is there
 * with a value the round trip explains (docs/operations.md, "Health, metrics and logs").
 */
describe('Prometheus metrics after a round trip', () => {
  let gw: TestGateway;
  let text: string;
  before(async () => {
    gw = await startGateway();
    const agent = await gw.token('agent', 'exporter');
    const alice = await gw.token('user', 'alice');
    const frank = await gw.token('user', 'frank');
    // Decided by policy at submission.
    const small = await gw.call('POST', '/v1/actions', {
      token: agent,
      body: { action: 'db.export', resource: 'pg://prod/customers', params: { rows: 10 } },
    });
    assert.equal(small.body.status, 'approved');
    // Decided by two votes through the API; a long-poll is open meanwhile.
    const big = await gw.call('POST', '/v1/actions', {
      token: agent,
      body: {
        action: 'db.export',
        resource: 'pg://prod/customers',
        environment: 'production',
        params: { rows: 50_000 },
      },
    });
    const id = big.body.id as string;
    const waiting = gw.call('GET', `/v1/actions/${id}/wait?timeout=20`, { token: agent });
    let during = await scrape();
    for (let i = 0; i < 100 && sample(during, 'countersign_waiters_open') !== 1; i++) {
      await new Promise((r) => setTimeout(r, 20));
      during = await scrape();
    }
    assert.equal(sample(during, 'countersign_waiters_open'), 1, 'the long-poll is counted');
    for (const token of [alice, frank]) {
      const vote = await gw.call('POST', `/v1/actions/${id}/votes`, {
        token,
        body: { vote: 'approve', comment: 'ok' },
      });
      assert.equal(vote.status, 200, JSON.stringify(vote.body));
    }
    const done = await waiting;
    assert.equal(done.body.status, 'approved');
    const redeem = await gw.call('POST', '/v1/grants/redeem', {
      body: { grant: done.body.grant.token },
    });
    assert.equal(redeem.status, 200, JSON.stringify(redeem.body));
    await gw.call('GET', '/v1/audit/checkpoint', { token: await gw.token('user', 'root') });
    // The histogram is observed after one read of the votes: let it land.
    for (let i = 0; i < 50; i++) {
      text = await scrape();
      if (sample(text, 'countersign_time_to_decision_seconds_count', { channel: 'api' })) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  after(() => gw.close());

  async function scrape(): Promise<string> {
    const res = await fetch(`${gw.url}/metrics`);
    assert.equal(res.status, 200);
    return res.text();
  }

  test('time to decision, by outcome and deciding channel', () => {
    const policy = { outcome: 'approved', channel: 'policy' };
    assert.equal(sample(text, 'countersign_time_to_decision_seconds_count', policy), 1);
    const api = { outcome: 'approved', channel: 'api' };
    assert.equal(sample(text, 'countersign_time_to_decision_seconds_count', api), 1);
    const sum = sample(text, 'countersign_time_to_decision_seconds_sum', api);
    assert.ok(sum !== undefined && sum > 0 && sum < 60, `sum ${sum}`);
  });

  test('grants issued and redeemed', () => {
    assert.equal(sample(text, 'countersign_grants_issued_total'), 2);
    assert.equal(sample(text, 'countersign_grants_redeemed_total'), 1);
  });

  test('audit log size and checkpoint age; waiters back to zero', () => {
    const size = sample(text, 'countersign_audit_log_entries');
    assert.ok(size !== undefined && size >= 6, `size ${size}`);
    const age = sample(text, 'countersign_audit_checkpoint_age_seconds');
    assert.ok(age !== undefined && age >= 0 && age < 60, `age ${age}`);
    assert.equal(sample(text, 'countersign_waiters_open'), 0);
    // SQLite indexes evidence as it commits: nothing ever waits for the sequencer.
    assert.equal(sample(text, 'countersign_audit_sequencing_lag_seconds'), 0);
  });

  test('notification deliveries keep their name; process metrics have the standard names', () => {
    assert.match(text, /# TYPE countersign_notification_deliveries_total counter/);
    assert.ok((sample(text, 'process_cpu_seconds_total') ?? 0) > 0);
    assert.ok((sample(text, 'nodejs_heap_size_used_bytes') ?? 0) > 0);
    assert.doesNotMatch(text, /countersign_process_|countersign_nodejs_/);
  });
});
