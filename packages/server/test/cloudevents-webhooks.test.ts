import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionRecord } from '@countersign/core';
import { CloudEventsNotifier } from '../src/channels/webhook/cloud-events-notifier.js';
import { percentEncodeHeaderValue } from '../src/channels/webhook/cloud-event-message.js';
import { cloudEventType } from '../src/channels/webhook/cloud-event-types.js';
import type { WebhookFormat } from '../src/channels/webhook/webhook-notifier.js';
import { buildPayload } from '../src/notify/notification-payload.js';
import type { NotificationEvent } from '../src/notify/notification.js';
import type { Delivery, DeliveryContext, DeliveryResult } from '../src/notify/notifier.js';
import {
  CLOUDEVENT_TYPES,
  ConfigError,
  channelSettings,
  loadConfig,
  verifyCloudEventSignature,
  verifyWebhookSignature,
  webhookChannelFactory,
} from '../src/index.js';
import { startCloudEventsReceiver, type CloudEventsReceiver } from './cloudevents-receiver.js';
import { SECRET, fakeRecord } from './webhooks-receiver.js';

const PUBLIC_URL = 'https://gw.example.com';
const TTL_MS = 3_600_000;

/** One outbox row as the worker hands it over: the stored body and its parse. */
function deliveryOf(record: ActionRecord, event: NotificationEvent = 'action.decided'): Delivery {
  const body = JSON.stringify(
    buildPayload(
      { event, record, votes: [], at: Date.parse('2026-11-21T11:18:16.479Z') },
      'evt_01test',
    ),
  );
  return {
    id: 'dlv_01test',
    target: 'webhook:ce',
    event,
    action_id: record.id,
    attempt: 1,
    body,
    payload: JSON.parse(body),
  };
}

/** A CloudEvents endpoint on the receiver, its clock driven by the test. */
function endpoint(
  receiver: CloudEventsReceiver,
  format: WebhookFormat,
  clock: { now: number },
  publicUrl = PUBLIC_URL,
) {
  const notifier = new CloudEventsNotifier(
    { name: 'ce', url: `${receiver.url}/events`, secret: SECRET, format },
    { publicUrl, validationTtlMs: TTL_MS },
  );
  const context: DeliveryContext = {
    signal: AbortSignal.timeout(5000),
    state: { get: async () => undefined, set: async () => undefined },
    now: () => clock.now,
  };
  return {
    deliver: (d: Delivery): Promise<DeliveryResult> =>
      notifier.deliver(d, { ...context, signal: AbortSignal.timeout(5000) }),
  };
}

describe('webhooks as CloudEvents 1.0', () => {
  let receiver: CloudEventsReceiver;
  const clock = { now: Date.now() };

  before(async () => {
    receiver = await startCloudEventsReceiver(SECRET, () => clock.now);
  });
  after(async () => {
    await receiver.close();
  });
  beforeEach(() => {
    receiver.consent = { status: 200, allowedOrigin: '*' };
    receiver.options.length = 0;
    receiver.posts.length = 0;
    clock.now += 10 * TTL_MS; // every test starts with no consent on record
  });

  test('HTTP binding §3.2 structured mode: application/cloudevents+json that HTTP.toEvent parses, HMAC verified', async () => {
    const record = fakeRecord({ status: 'approved', decision: 'allow' });
    const result = await endpoint(receiver, 'cloudevents-structured', clock).deliver(
      deliveryOf(record),
    );
    assert.deepEqual(result, { ok: true });
    const [post] = receiver.posts;
    assert.ok(post);
    assert.equal(post.refusal, undefined);
    // §3.2.1: the Content-Type is the JSON event format's media type.
    assert.match(String(post.headers['content-type']), /^application\/cloudevents\+json/);
    // §3.2.3: every attribute is in the body; the SDK adds no ce- headers in this mode.
    assert.deepEqual(
      Object.keys(post.headers).filter((h) => h.startsWith('ce-')),
      [],
    );
    const body = JSON.parse(post.raw.toString('utf8'));
    assert.equal(body.specversion, '1.0');
    assert.equal(
      typeof body.data,
      'object',
      'JSON format §3.1.1: data is a JSON value, not a string',
    );
    const event = post.event;
    assert.ok(event);
    assert.equal(event.specversion, '1.0');
    assert.equal(event.id, 'evt_01test');
    assert.equal(event.type, 'dev.countersign.request.approved');
    assert.equal(event.source, `${PUBLIC_URL}/v1/actions`);
    assert.equal(event.subject, record.id);
    assert.equal(event.time, '2026-11-21T11:18:16.479Z');
    assert.equal(event.datacontenttype, 'application/json');
    assert.equal(event.actiontype, 'db.export');
    assert.equal(event.agentid, 'exporter');
    const data = event.data as { action: Record<string, unknown>; votes: unknown[] };
    assert.equal(data.action.id, record.id);
    assert.ok(!('grant' in data.action), 'no grant member');
    // Web Hooks §4.1.2: the delivery names the origin it was validated with.
    assert.equal(post.headers['webhook-request-origin'], 'gw.example.com');
    assert.equal(post.headers['countersign-delivery'], 'dlv_01test');
  });

  test('HTTP binding §3.1.4 example shape, binary mode: ce- headers (§3.1.3.1), data as the body (§3.1.2), Content-Type from datacontenttype (§3.1.1)', async () => {
    const record = fakeRecord({ status: 'denied', decision: 'deny' });
    const result = await endpoint(receiver, 'cloudevents-binary', clock).deliver(
      deliveryOf(record),
    );
    assert.deepEqual(result, { ok: true });
    const [post] = receiver.posts;
    assert.ok(post?.event, post?.refusal);
    assert.equal(post.headers['content-type'], 'application/json');
    assert.equal(post.headers['ce-datacontenttype'], undefined, '§3.1.1: no ce-datacontenttype');
    assert.equal(post.headers['ce-specversion'], '1.0');
    assert.equal(post.headers['ce-id'], 'evt_01test');
    assert.equal(post.headers['ce-type'], 'dev.countersign.request.denied');
    assert.equal(post.headers['ce-source'], `${PUBLIC_URL}/v1/actions`);
    assert.equal(post.headers['ce-subject'], record.id);
    const body = JSON.parse(post.raw.toString('utf8'));
    assert.deepEqual(Object.keys(body), ['action', 'votes'], 'the body is data only');
    assert.equal(post.event.type, 'dev.countersign.request.denied');
    assert.equal((post.event.data as { action: { id: string } }).action.id, record.id);
  });

  test('the signature covers the ce- headers: a changed, added or removed attribute, or a changed body, fails to verify', async () => {
    await endpoint(receiver, 'cloudevents-binary', clock).deliver(
      deliveryOf(fakeRecord({ status: 'denied', decision: 'deny' })),
    );
    const [post] = receiver.posts;
    assert.ok(post?.event);
    const headers = { ...post.headers };
    const now = clock.now; // the notifier signed at clock.now
    assert.doesNotThrow(() => verifyCloudEventSignature(SECRET, headers, post.raw, 300, now));
    const refused = (h: typeof headers, raw: Buffer | string = post.raw) => {
      try {
        verifyCloudEventSignature(SECRET, h, raw, 300, now);
        return 'accepted';
      } catch (e) {
        return (e as { extra?: { reason?: string } }).extra?.reason;
      }
    };
    assert.equal(
      refused({ ...headers, 'ce-type': 'dev.countersign.request.approved' }),
      'mismatch',
    );
    assert.equal(refused({ ...headers, 'ce-subject': 'act_other' }), 'mismatch');
    assert.equal(refused({ ...headers, 'ce-dataschema': 'https://evil.example/x' }), 'unsigned');
    const withoutSubject = Object.fromEntries(
      Object.entries(headers).filter(([name]) => name !== 'ce-subject'),
    );
    assert.equal(refused(withoutSubject), 'mismatch');
    assert.equal(refused({ ...headers, 'content-type': 'text/plain' }), 'mismatch');
    assert.equal(
      refused(headers, post.raw.toString('utf8').replace('denied', 'approved')),
      'mismatch',
    );
    assert.equal(refused({ ...headers, 'countersign-signature': undefined }), 'missing');
    assert.equal(
      refused(headers),
      'accepted',
      'the untouched message still verifies (the refusals above were the edits)',
    );
    // The native verifier (body only) never accepts a CloudEvents signature: it fails closed.
    assert.throws(() =>
      verifyWebhookSignature(SECRET, String(headers['countersign-signature']), post.raw, 300, now),
    );
  });

  test('structured mode: rewriting Content-Type to read the body as binary-mode data breaks the signature', async () => {
    await endpoint(receiver, 'cloudevents-structured', clock).deliver(
      deliveryOf(fakeRecord({ status: 'approved' })),
    );
    const [post] = receiver.posts;
    assert.ok(post?.event);
    assert.match(String(post.headers['countersign-signature']), /,h=content-type,/);
    assert.throws(
      () =>
        verifyCloudEventSignature(
          SECRET,
          { ...post.headers, 'content-type': 'application/json', 'ce-id': 'x' },
          post.raw,
          300,
          clock.now,
        ),
      /not covered|no signature matches/,
    );
  });

  test('HTTP binding §3.1.3.2 example: "Euro € 😀" is sent as Euro%20%E2%82%AC%20%F0%9F%98%80', () => {
    assert.equal(percentEncodeHeaderValue('Euro € 😀'), 'Euro%20%E2%82%AC%20%F0%9F%98%80');
    assert.equal(percentEncodeHeaderValue('a"b%c'), 'a%22b%25c');
    assert.equal(percentEncodeHeaderValue('db.export'), 'db.export');
    assert.equal(percentEncodeHeaderValue('x\r\nSet-Cookie: a=b'), 'x%0D%0ASet-Cookie:%20a=b');
  });

  for (const format of ['cloudevents-binary', 'cloudevents-structured'] as const) {
    test(`HTTP binding §3.1.3.2 (${format}): hostile action, agent id and params with CR/LF inject no header and stay data`, async () => {
      const hostile = {
        action: 'db.export\r\nX-Injected: action',
        agent_id: 'exporter\r\nX-Injected: agent',
        params: { note: 'x\r\nX-Injected: params\r\n\r\nbody', rows: 1 },
        justification: '\u202eevil\r\nX-Injected: justification',
      };
      const record = fakeRecord({ ...hostile, status: 'approved' });
      const result = await endpoint(receiver, format, clock).deliver(deliveryOf(record));
      assert.deepEqual(result, { ok: true });
      const [post] = receiver.posts;
      assert.ok(post?.event, post?.refusal);
      assert.ok(
        !Object.keys(post.headers).some((h) => h.startsWith('x-injected')),
        'no injected header',
      );
      for (const value of Object.values(post.headers)) {
        assert.doesNotMatch(String(value), /[\r\n]/);
      }
      if (format === 'cloudevents-binary') {
        assert.equal(post.headers['ce-actiontype'], 'db.export%0D%0AX-Injected:%20action');
        assert.equal(decodeURIComponent(String(post.headers['ce-actiontype'])), hostile.action);
        assert.equal(decodeURIComponent(String(post.headers['ce-agentid'])), hostile.agent_id);
      } else {
        assert.equal(post.event.actiontype, hostile.action, 'JSON-encoded in the body');
        assert.equal(post.event.agentid, hostile.agent_id);
      }
      // The agent's text is data, exactly as asked.
      const data = post.event.data as { action: Record<string, unknown> };
      assert.deepEqual(data.action.params, hostile.params);
      assert.equal(data.action.justification, hostile.justification);
      assert.equal(data.action.action, hostile.action);
    });
  }

  test('Web Hooks §4.1: one OPTIONS with WebHook-Request-Origin before the first delivery, none while the consent lasts', async () => {
    const ce = endpoint(receiver, 'cloudevents-structured', clock);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await ce.deliver(deliveryOf(fakeRecord({ status: 'approved' }))), {
        ok: true,
      });
    }
    assert.equal(receiver.options.length, 1);
    assert.equal(receiver.posts.length, 3);
    const [options] = receiver.options;
    assert.equal(options?.path, '/events', '§4.1: the exact resource being delivered to');
    assert.equal(options?.headers['webhook-request-origin'], 'gw.example.com');
  });

  test('Web Hooks §4.1.2 and §4.2.1 examples: origin eventemitter.example.com, consent by "eventemitter.example.com" (any case) or "*"', async () => {
    for (const allowedOrigin of ['eventemitter.example.com', 'EventEmitter.Example.com', '*']) {
      receiver.consent = { status: 200, allowedOrigin };
      const ce = endpoint(
        receiver,
        'cloudevents-binary',
        clock,
        'https://eventemitter.example.com',
      );
      const result = await ce.deliver(deliveryOf(fakeRecord({ status: 'approved' })));
      assert.deepEqual(result, { ok: true }, allowedOrigin);
    }
    assert.deepEqual(
      receiver.options.map((o) => o.headers['webhook-request-origin']),
      Array(3).fill('eventemitter.example.com'),
    );
    assert.equal(receiver.posts.length, 3);
  });

  test('Web Hooks §4.2: a refusal is no consent (405, 2xx without WebHook-Allowed-Origin, another origin, a redirect): nothing is POSTed', async () => {
    const refusals: [number, string | null, RegExp][] = [
      [405, null, /OPTIONS answered HTTP 405/],
      [200, null, /no WebHook-Allowed-Origin/],
      [204, 'other.example.com', /"other\.example\.com" is not "gw\.example\.com"/],
      [403, 'gw.example.com', /OPTIONS answered HTTP 403/],
    ];
    const ce = endpoint(receiver, 'cloudevents-structured', clock);
    for (const [status, allowedOrigin, reason] of refusals) {
      receiver.consent = { status, allowedOrigin };
      const result = await ce.deliver(deliveryOf(fakeRecord({ status: 'approved' })));
      assert.equal(result.ok, false);
      assert.ok(!result.ok && result.retry, 'retried with backoff, like a 5xx');
      assert.match(!result.ok ? result.error : '', reason);
      assert.match(!result.ok ? result.error : '', /^CloudEvents webhook validation: /);
    }
    // A redirect is not followed (Web Hooks §2.2; SSRF): the Location is never asked.
    receiver.consent = { status: 307, allowedOrigin: '*', location: `${receiver.url}/elsewhere` };
    const redirected = await ce.deliver(deliveryOf(fakeRecord({ status: 'approved' })));
    assert.match(!redirected.ok ? redirected.error : '', /HTTP 307/);
    assert.equal(receiver.options.length, refusals.length + 1, 'asked again on every attempt');
    assert.ok(!receiver.options.some((o) => o.path === '/elsewhere'));
    assert.equal(receiver.posts.length, 0, 'never delivered to');
    // A refusal is not cached: once the receiver consents, the next attempt delivers.
    receiver.consent = { status: 200, allowedOrigin: 'gw.example.com' };
    assert.deepEqual(await ce.deliver(deliveryOf(fakeRecord({ status: 'approved' }))), {
      ok: true,
    });
  });

  test('Web Hooks §4: the consent expires with the injected clock: re-validated after the TTL, and a withdrawn consent stops delivery', async () => {
    const ce = endpoint(receiver, 'cloudevents-binary', clock);
    const deliver = () => ce.deliver(deliveryOf(fakeRecord({ status: 'approved' })));
    assert.deepEqual(await deliver(), { ok: true });
    clock.now += TTL_MS - 1;
    assert.deepEqual(await deliver(), { ok: true });
    assert.equal(receiver.options.length, 1, 'still within the TTL');
    clock.now += 1;
    assert.deepEqual(await deliver(), { ok: true });
    assert.equal(receiver.options.length, 2, 'asked again once the TTL ran out');
    // The receiver withdraws its consent: after the next expiry nothing more is delivered.
    receiver.consent = { status: 405, allowedOrigin: null };
    assert.deepEqual(await deliver(), { ok: true }, 'the consent on record still holds');
    clock.now += TTL_MS;
    const refused = await deliver();
    assert.equal(refused.ok, false);
    assert.equal(receiver.posts.length, 4);
    assert.equal(receiver.options.length, 3);
  });

  test('Web Hooks §4.1: deliveries that start together share one OPTIONS', async () => {
    const ce = endpoint(receiver, 'cloudevents-binary', clock);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => ce.deliver(deliveryOf(fakeRecord({ status: 'approved' })))),
    );
    assert.deepEqual(
      results,
      Array.from({ length: 5 }, () => ({ ok: true })),
    );
    assert.equal(receiver.options.length, 1);
    assert.equal(receiver.posts.length, 5);
  });

  test('a CloudEvents signature header without a usable h= list is malformed, never accepted', async () => {
    await endpoint(receiver, 'cloudevents-binary', clock).deliver(
      deliveryOf(fakeRecord({ status: 'approved' })),
    );
    const [post] = receiver.posts;
    assert.ok(post?.event);
    const signature = String(post.headers['countersign-signature']);
    const reasonFor = (header: string) => {
      try {
        verifyCloudEventSignature(
          SECRET,
          { ...post.headers, 'countersign-signature': header },
          post.raw,
          300,
          clock.now,
        );
        return 'accepted';
      } catch (e) {
        return (e as { extra?: { reason?: string } }).extra?.reason;
      }
    };
    const h = /,h=([^,]*),/.exec(signature)?.[1] ?? '';
    assert.equal(reasonFor(signature.replace(`,h=${h}`, '')), 'malformed', 'no h');
    assert.equal(
      reasonFor(signature.replace(`h=${h}`, `h=${h.replace('content-type;', '')}`)),
      'malformed',
    );
    assert.equal(reasonFor(signature.replace(`h=${h}`, `h=${h};ce-id`)), 'malformed', 'duplicate');
    assert.equal(reasonFor(signature.replace(`h=${h}`, `h=${h.toUpperCase()}`)), 'malformed');
    assert.equal(reasonFor(signature.replace(`h=${h}`, `h=content-type`)), 'unsigned');
    assert.equal(reasonFor(signature), 'accepted');
  });

  test('CloudEvents "type": one reverse-DNS type per outcome, every one listed in CLOUDEVENT_TYPES', () => {
    const pairs: [NotificationEvent, string, string][] = [
      ['action.requested', 'pending', 'dev.countersign.request.requested'],
      ['action.voted', 'pending', 'dev.countersign.request.voted'],
      ['action.escalated', 'pending', 'dev.countersign.request.escalated'],
      ['action.decided', 'approved', 'dev.countersign.request.approved'],
      ['action.decided', 'denied', 'dev.countersign.request.denied'],
      ['action.decided', 'expired', 'dev.countersign.request.expired'],
      ['action.decided', 'cancelled', 'dev.countersign.request.cancelled'],
      ['action.reported', 'completed', 'dev.countersign.request.completed'],
      ['action.reported', 'failed', 'dev.countersign.request.failed'],
    ];
    for (const [event, status, type] of pairs) {
      assert.equal(cloudEventType(event, status), type);
    }
    assert.deepEqual(
      pairs.map((p) => p[2]),
      [...CLOUDEVENT_TYPES],
    );
    assert.throws(() => cloudEventType('action.decided', 'pending'), /no CloudEvents type/);
  });
});

describe('CloudEvents webhooks configuration', () => {
  const load = (lines: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-events-'));
    try {
      writeFileSync(join(dir, 'policy.yaml'), 'version: 1\nrules: []\n');
      const file = join(dir, 'countersign.yaml');
      writeFileSync(file, ['policy: policy.yaml', 'directory: {}', ...lines, ''].join('\n'));
      return loadConfig(file, {});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const endpointLines = (format: string) => [
    'webhooks:',
    '  endpoints:',
    '    - name: ce',
    '      url: https://events.example.com/',
    '      secret: file-secret-0123456789',
    `      format: ${format}`,
  ];

  test('format per endpoint (native by default); validation_ttl_ms defaults to 1 hour', () => {
    for (const format of ['native', 'cloudevents-structured', 'cloudevents-binary']) {
      const settings = channelSettings(load(endpointLines(format)).channels, webhookChannelFactory);
      assert.equal(settings?.endpoints[0]?.format, format);
      assert.equal(settings?.cloudEvents.validationTtlMs, 3_600_000);
    }
    const bare = load([
      'webhooks:',
      '  endpoints: []',
      '  cloudevents: { validation_ttl_ms: 60000 }',
    ]);
    assert.equal(
      channelSettings(bare.channels, webhookChannelFactory)?.cloudEvents.validationTtlMs,
      60_000,
    );
  });

  test('an unknown format or a TTL under a minute is a config error with file:line', () => {
    const problems = (lines: string[]) => {
      try {
        load(lines);
      } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        return e.problems.join('\n');
      }
      assert.fail('expected a ConfigError');
    };
    assert.match(
      problems(endpointLines('cloudevents-batch')),
      /countersign\.yaml:8: \/webhooks\/endpoints\/0\/format/,
    );
    assert.match(
      problems(['webhooks:', '  cloudevents: { validation_ttl_ms: 1000 }']),
      /\/webhooks\/cloudevents\/validation_ttl_ms/,
    );
  });
});
