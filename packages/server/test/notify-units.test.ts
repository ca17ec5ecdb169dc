import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { retryDelay } from '../src/notify/backoff.js';
import { MonotonicIds } from '../src/notify/outbox-id.js';
import { buildPayload } from '../src/notify/notification-payload.js';
import { HostAllowlist } from '../src/index.js';
import { fakeRecord } from './webhooks-receiver.js';

describe('notification units', () => {
  test('backoff doubles from the initial delay, is capped, and jitters within the upper half', () => {
    const b = { initialMs: 1000, maxMs: 600_000 };
    assert.deepEqual(
      [1, 2, 3, 4, 10, 11, 12, 100].map((n) => retryDelay(n, b, () => 1)),
      [1000, 2000, 4000, 8000, 512_000, 600_000, 600_000, 600_000],
    );
    assert.equal(
      retryDelay(3, b, () => 0),
      2000,
    );
    for (let i = 0; i < 100; i++) {
      const d = retryDelay(2, b);
      assert.ok(d >= 1000 && d <= 2000, String(d));
    }
  });

  test('outbox ids strictly increase, even many within one millisecond', () => {
    const ids = new MonotonicIds('dlv');
    const out = Array.from({ length: 1000 }, () => ids.next(1_750_000_000_000));
    for (let i = 1; i < out.length; i++)
      assert.ok(out[i] > out[i - 1], `${out[i]} > ${out[i - 1]}`);
    assert.ok(ids.next(1_749_000_000_000) > out[999], 'a clock step back does not go back');
    assert.match(out[0], /^dlv_[0-9a-z]{26}$/);
  });

  test('the payload never carries the grant token', () => {
    const record = fakeRecord({
      status: 'approved',
      grant: {
        token: 'eyJhbGciOiJFZERTQSJ9.secret.sig',
        jti: 'j1',
        expires_at: 1,
        redeemed_at: null,
      },
    });
    const payload = buildPayload(
      {
        event: 'action.decided',
        record,
        votes: [
          {
            id: 'vote_1',
            action_id: record.id,
            user: 'alice',
            vote: 'approve',
            comment: 'ok',
            channel: 'api',
            at: 0,
            evidence: null,
            groups: ['data-owners'],
            outcome: 'counted',
            code: null,
            break_glass: false,
          },
        ],
        at: 0,
      },
      'evt_1',
    );
    const text = JSON.stringify(payload);
    assert.ok(!text.includes('eyJhbGciOiJFZERTQSJ9'), 'no grant token');
    assert.ok(!('grant' in payload.data.action));
    assert.equal(payload.data.action.id, record.id);
    assert.equal(payload.data.votes[0].at, '1970-01-01T00:00:00.000Z');
    assert.equal(payload.type, 'action.decided');
  });

  test('callback host allowlist: exact hosts, *.domain, ports; everything else refused (SSRF)', () => {
    const list = HostAllowlist.parse(['hooks.example.com', '*.agents.internal', '127.0.0.1:9000']);
    for (const ok of [
      'https://hooks.example.com/cb',
      'http://HOOKS.example.com:8080/x',
      'https://a.agents.internal/cb',
      'https://a.b.agents.internal/cb',
      'http://127.0.0.1:9000/cb',
    ]) {
      assert.equal(list.refusal(ok), undefined, ok);
    }
    for (const bad of [
      'http://169.254.169.254/latest/meta-data/',
      'http://127.0.0.1:9001/cb',
      'http://2130706433:9001/', // 127.0.0.1 spelt as a number, wrong port
      'https://agents.internal/cb', // *.domain does not match the domain itself
      'https://hooks.example.com.evil.test/cb',
      'https://evilhooks.example.com/cb',
      'https://user:pw@hooks.example.com/cb',
      'ftp://hooks.example.com/cb',
      'not a url',
    ]) {
      assert.equal(typeof list.refusal(bad), 'string', bad);
    }
    assert.match(HostAllowlist.parse([]).refusal('https://x.test/') ?? '', /disabled/);
    assert.equal(HostAllowlist.parse(['*']).refusal('http://anything.test/'), undefined);
    assert.equal(HostAllowlist.parse(['[::1]:8080']).refusal('http://[::1]:8080/'), undefined);
    for (const bad of ['http://x', 'a/b', '*.', 'x:99999', 'a*b', '']) {
      assert.throws(() => HostAllowlist.parse([bad]), /host pattern|valid host/, bad);
    }
  });
});
