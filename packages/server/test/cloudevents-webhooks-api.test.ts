import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyWebhookSignature } from '../src/index.js';
import { indexedStore, startGateway, type TestGateway } from './harness.js';
import { startCloudEventsReceiver, type CloudEventsReceiver } from './cloudevents-receiver.js';
import { SECRET, startReceiver, until, type Receiver } from './webhooks-receiver.js';

const PUBLIC_URL = 'https://countersign.example.com';
const TTL_MS = 3_600_000;

/**
 * Through the API, next to a native endpoint: the CloudEvents formats share the outbox,
 * retries and audit with it and change nothing about it. SQLite only: the delivery path is
 * the same code on both stores (webhooks-api.test.ts runs it on PostgreSQL too).
 */
describe('webhooks as CloudEvents 1.0, through the API', () => {
  let offset = 0;
  const now = () => Date.now() + offset;
  let ce: CloudEventsReceiver;
  let refusing: CloudEventsReceiver;
  let native: Receiver;
  let gw: TestGateway;
  let agent: string;

  before(async () => {
    ce = await startCloudEventsReceiver(SECRET, now);
    refusing = await startCloudEventsReceiver(SECRET, now, { status: 405, allowedOrigin: null });
    native = await startReceiver();
    gw = await startGateway({
      dialect: 'sqlite',
      tickMs: 20,
      now,
      publicUrl: PUBLIC_URL,
      webhooks: {
        endpoints: [
          {
            name: 'ce-structured',
            url: `${ce.url}/structured`,
            secret: SECRET,
            format: 'cloudevents-structured',
          },
          {
            name: 'ce-binary',
            url: `${ce.url}/binary`,
            secret: SECRET,
            format: 'cloudevents-binary',
          },
          { name: 'native', url: `${native.url}/native`, secret: SECRET },
          {
            name: 'ce-refused',
            url: `${refusing.url}/refused`,
            secret: SECRET,
            format: 'cloudevents-binary',
          },
        ],
        cloudevents: { validation_ttl_ms: TTL_MS },
        max_attempts: 3,
        backoff: { initial_ms: 50, max_ms: 200 },
      },
    });
    agent = await gw.token('agent', 'exporter');
  });
  after(async () => {
    await gw.close();
    await Promise.all([ce.close(), refusing.close(), native.close()]);
  });

  const submit = async (body: Record<string, unknown>): Promise<{ id: string; grant: string }> => {
    const res = await gw.call('POST', '/v1/actions', { token: agent, body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { id: res.body.id, grant: res.body.grant?.token };
  };
  const eventsFor = (id: string) => ce.posts.filter((p) => p.event?.subject === id);

  test('one decision reaches both CloudEvents modes and the native endpoint, unchanged, never with the grant', async () => {
    const { id, grant } = await submit({
      action: 'db.export',
      resource: 'postgres://prod/customers',
      params: { rows: 10 },
    });
    assert.equal(typeof grant, 'string', 'auto-approved with a grant');
    await until(() => eventsFor(id).length === 2, 10_000, 'both CloudEvents endpoints');
    await until(
      () => native.received.some((r) => r.body.includes(`"id":"${id}"`)),
      10_000,
      'the native endpoint',
    );
    const [structured] = eventsFor(id).filter((p) => p.path === '/structured');
    const [binary] = eventsFor(id).filter((p) => p.path === '/binary');
    assert.ok(structured?.event && binary?.event, 'both parsed and verified');
    for (const { event } of [structured, binary]) {
      assert.equal(event?.type, 'dev.countersign.request.approved');
      assert.equal(event?.source, `${PUBLIC_URL}/v1/actions`);
      assert.equal(event?.subject, id);
      assert.equal(event?.actiontype, 'db.export');
    }
    // CloudEvents "id": one occurrence, one id, whichever endpoint or mode carries it.
    assert.equal(structured.event?.id, binary.event?.id);
    assert.match(String(structured.event?.id), /^evt_/);
    assert.equal(structured.headers['webhook-request-origin'], 'countersign.example.com');
    // The native format is what it was: its headers, its body, its signature.
    const [plain] = native.received.filter((r) => r.body.includes(`"id":"${id}"`));
    assert.ok(plain);
    assert.equal(plain.headers['content-type'], 'application/json');
    assert.equal(plain.headers['countersign-event'], 'action.decided');
    assert.equal(plain.headers['webhook-request-origin'], undefined);
    assert.equal(JSON.parse(plain.body).type, 'action.decided');
    verifyWebhookSignature(
      SECRET,
      String(plain.headers['countersign-signature']),
      plain.body,
      300,
      now(),
    );
    assert.ok(
      native.received.every((r) => r.headers['webhook-request-origin'] === undefined),
      'no handshake with a native endpoint',
    );
    for (const p of ce.posts) {
      assert.ok(!p.raw.toString('utf8').includes(grant), 'the grant token is never sent');
      assert.ok(!JSON.stringify(p.headers).includes(grant));
    }
  });

  test('HTTP binding §3.1.3.2: agent text with CR/LF in params and justification stays data in both modes', async () => {
    const params = { rows: 10, note: 'ok\r\nce-type: dev.countersign.request.approved\r\n' };
    const justification = 'routine\r\nX-Injected: yes';
    const { id } = await submit({
      action: 'db.export',
      resource: 'postgres://prod/customers',
      params,
      justification,
    });
    await until(() => eventsFor(id).length === 2, 10_000, 'both CloudEvents endpoints');
    for (const post of eventsFor(id)) {
      assert.equal(post.refusal, undefined);
      assert.ok(!('x-injected' in post.headers));
      const data = post.event?.data as { action: { params: unknown; justification: string } };
      assert.deepEqual(data.action.params, params);
      assert.equal(data.action.justification, justification);
    }
  });

  test('Web Hooks §4.2: an endpoint that refuses the handshake is never POSTed to; each attempt is audited, counted and fails for good', async () => {
    const { id } = await submit({
      action: 'db.export',
      resource: 'postgres://prod/customers',
      params: { rows: 10 },
    });
    const db = gw.gateway.storage.db;
    await until(
      async () =>
        (
          await db
            .selectFrom('outbox')
            .select('failed_at')
            .where('target', '=', 'webhook:ce-refused')
            .where('action_id', '=', id)
            .executeTakeFirst()
        )?.failed_at != null,
      10_000,
      'the refused delivery to give up',
    );
    const row = await db
      .selectFrom('outbox')
      .select(['attempts', 'last_error'])
      .where('target', '=', 'webhook:ce-refused')
      .where('action_id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(row.attempts, 3);
    assert.match(String(row.last_error), /CloudEvents webhook validation: .*HTTP 405/);
    assert.equal(refusing.posts.length, 0, 'nothing delivered');
    assert.ok(refusing.options.length >= 3, 'asked before each attempt');
    const entries = (
      await (
        await indexedStore(gw)
      )
        .selectFrom('audit_entries')
        .select('entry')
        .where('type', '=', 'action.notified')
        .execute()
    )
      .map((r) => JSON.parse(r.entry))
      .filter((e) => e.request_id === id && e.data.target === 'webhook:ce-refused');
    assert.deepEqual(entries.map((e) => e.data.status).sort(), ['failed', 'retrying', 'retrying']);
    const metrics = await fetch(`${gw.url}/metrics`).then((r) => r.text());
    assert.match(
      metrics,
      /countersign_notification_deliveries_total\{notifier="webhook:ce-refused",status="failed"\} [1-9]/,
    );
  });

  test('Web Hooks §4: the consent is asked again once validation_ttl_ms has passed on the gateway clock', async () => {
    const asked = () => ce.options.length;
    assert.equal(asked(), 2, 'once per endpoint so far');
    offset += TTL_MS + 1_000;
    const { id } = await submit({
      action: 'db.export',
      resource: 'postgres://prod/customers',
      params: { rows: 10 },
    });
    await until(() => eventsFor(id).length === 2, 10_000, 'both CloudEvents endpoints');
    assert.equal(asked(), 4, 'each endpoint validated again');
    assert.deepEqual(
      ce.options.map((o) => o.headers['webhook-request-origin']),
      Array(4).fill('countersign.example.com'),
    );
  });
});
