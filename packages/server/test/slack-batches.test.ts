import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeSlack, type FakeMessage, type FakeSlack } from './fake-slack/fake-slack.js';
import {
  blockActions,
  postInteraction,
  SIGNING_SECRET,
  TEAM,
} from './fake-slack/slack-payloads.js';
import {
  auditEntries,
  startSlackGateway,
  until,
  type SlackGateway,
} from './fake-slack/slack-gateway.js';

/**
 * Batches in Slack (docs/slack.md, "Batches"): a request posted while alike ones are pending
 * carries **Approve all N** / **Deny all N…** listing every item; a click decides exactly the
 * items its button carried, all or none, and says which items changed.
 */
describe('Slack batches', () => {
  let fake: FakeSlack;
  let gw: SlackGateway;
  let agent: string;
  let admin: string;

  before(async () => {
    fake = await startFakeSlack();
    gw = await startSlackGateway(fake);
    agent = await gw.token('agent', 'exporter');
    admin = await gw.token('user', 'root');
  });
  after(async () => {
    await gw.close();
    await fake.close();
  });

  const submit = (body: Record<string, unknown>) => submitAs(agent, body);
  const submitAs = async (as: string, body: Record<string, unknown>) => {
    const res = await gw.call('POST', '/v1/actions', as, body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id as string;
  };
  const exportOf = (rows: number, table: string, as = agent) =>
    submitAs(as, {
      action: 'db.export',
      resource: `postgres://prod/${table}`,
      environment: 'production',
      params: { rows, format: 'csv' },
    });
  /** The latest version of the message posted for `id` (its own Approve button). */
  const messageOf = async (
    id: string,
    check: (m: FakeMessage) => boolean,
    verb: 'approve' | 'open' = 'approve',
  ) => {
    let found: FakeMessage | undefined;
    await until(() => {
      found = fake.messages.find(
        (m) => !m.thread_ts && JSON.stringify(m.blocks).includes(`countersign.${verb}:${id}"`),
      );
      return found !== undefined && check(found);
    }, `the message of ${id}`);
    return found as FakeMessage;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Block Kit JSON
  const batchButtons = (m: FakeMessage): any[] =>
    m.blocks.find((b) => b.block_id === 'countersign.batch')?.elements ?? [];
  const votes = (id: string) =>
    gw.gateway.storage.db.selectFrom('votes').selectAll().where('action_id', '=', id).execute();
  const status = async (id: string) =>
    (await gw.call('GET', `/v1/actions/${id}`, admin)).body.status;
  const ephemeralTo = (user: string) =>
    fake.callsOf('chat.postEphemeral').filter((c) => c.args.user === user);

  test('alike requests: every item listed with what sets it apart, Approve all decides exactly those', async () => {
    const ids = [
      await exportOf(20000, 'customers'),
      await exportOf(30000, 'orders'),
      await exportOf(40000, 'invoices*_<!here>'),
    ];
    const m = await messageOf(ids[2] ?? '', (x) => batchButtons(x).length === 2);
    const [approve, deny] = batchButtons(m);
    assert.equal(approve.text.text, 'Approve all 3');
    assert.equal(deny.text.text, 'Deny all 3…');
    assert.ok(approve.confirm, 'a confirmation names the count');
    assert.match(approve.confirm.title.text, /Approve all 3\?/);
    // The value names exactly the three items, with 128-bit digest prefixes, within 2,000.
    const listed = String(approve.value)
      .split(',')
      .map((p) => p.split(':')[0]);
    assert.deepEqual([...listed].sort(), [...ids].sort());
    assert.ok(String(approve.value).length <= 2000);
    const section = JSON.stringify(
      m.blocks.find((b) => /alike requests together/.test(b.text?.text ?? '')),
    );
    for (const rows of ['20000', '30000', '40000']) assert.ok(section.includes(rows), rows);
    // Agent text stays inert: the hostile resource is escaped inside inline code.
    assert.ok(!section.includes('<!here>'), 'no mention');
    assert.ok(section.includes('&lt;\\u2060!here&gt;') || section.includes('&lt;⁠!here&gt;'));

    // A fourth alike request arrives after the message: the click does not decide it.
    const late = await exportOf(50000, 'late');
    const res = await postInteraction(
      gw.url,
      blockActions({ user: 'U0FRANK', actionId: approve.action_id, value: approve.value }),
    );
    assert.equal(res.status, 200);
    await until(async () => (await votes(ids[0] ?? '')).length === 1, 'votes counted');
    for (const id of ids) {
      const v = await votes(id);
      assert.equal(v.length, 1, id);
      assert.equal(v[0]?.user_id, 'frank');
      assert.equal(v[0]?.channel, 'slack');
      assert.match(String(v[0]?.evidence), /^sha256:[0-9a-f]{64}$/);
    }
    assert.deepEqual(await votes(late), [], 'an item the button did not carry is not decided');
    await until(() => ephemeralTo('U0FRANK').length > 0, 'frank told');
    assert.match(
      String(ephemeralTo('U0FRANK').at(-1)?.args.text),
      /approval of 3 requests was counted/,
    );
    const batched = await auditEntries(gw, 'action.batch_voted');
    assert.equal(batched.length, 1);
  });

  test('an item decided meanwhile: nothing is counted and the clicker is told which', async () => {
    const ids = [await exportOf(21000, 'a'), await exportOf(22000, 'b')];
    const m = await messageOf(ids[1] ?? '', (x) => batchButtons(x).length === 2);
    const [approve] = batchButtons(m);
    // Only the two of this test (the earlier ones had a vote from frank and stay pending, but
    // alice may still vote on them): pick the button of this message anyway, as Slack would.
    const carried = String(approve.value)
      .split(',')
      .map((p) => p.split(':')[0] ?? '');
    const target = carried.find((id) => id === ids[0]) ?? '';
    assert.ok(target, 'the first item is in the batch');
    // Another reviewer denies the first item through the API, after the message was posted.
    const bob = await gw.token('user', 'alice');
    const denied = await gw.call('POST', `/v1/actions/${target}/votes`, bob, {
      vote: 'deny',
      comment: 'no',
    });
    assert.equal(denied.status, 200, JSON.stringify(denied.body));
    const before = await Promise.all(carried.map(async (id) => (await votes(id)).length));
    await postInteraction(
      gw.url,
      blockActions({ user: 'U0FRANK', actionId: approve.action_id, value: approve.value }),
    );
    await until(
      () => ephemeralTo('U0FRANK').some((c) => /Nothing was counted/.test(String(c.args.text))),
      'frank told nothing was counted',
    );
    const told = String(ephemeralTo('U0FRANK').at(-1)?.args.text);
    assert.ok(told.includes(target), told);
    assert.match(told, /already decided/);
    const afterVotes = await Promise.all(carried.map(async (id) => (await votes(id)).length));
    assert.deepEqual(afterVotes, before, 'no vote recorded on any item');
    assert.equal(await status(ids[1] ?? ''), 'pending');
    assert.ok((await auditEntries(gw, 'action.batch_refused')).length >= 1);
  });

  test('a value Countersign did not write is refused and audited; Deny all opens a reason form', async () => {
    // Another agent: a group of these two only (frank voted on the earlier ones).
    const deployer = await gw.token('agent', 'deployer');
    const ids = [await exportOf(23000, 'c', deployer), await exportOf(24000, 'd', deployer)];
    const m = await messageOf(ids[1] ?? '', (x) => batchButtons(x).length === 2);
    const [, deny] = batchButtons(m);
    await postInteraction(
      gw.url,
      blockActions({
        user: 'U0FRANK',
        actionId: 'countersign.batch_approve',
        value: `${ids[0]}:zz,${ids[1]}:00`,
      }),
    );
    await until(
      async () =>
        (await auditEntries(gw, 'api.refused')).some((e) => e.data.reason === 'unknown_action'),
      'refusal audited',
    );
    assert.deepEqual(await votes(ids[0] ?? ''), []);

    const opened = fake.callsOf('views.open').length;
    await postInteraction(
      gw.url,
      blockActions({ user: 'U0FRANK', actionId: deny.action_id, value: deny.value }),
    );
    await until(() => fake.callsOf('views.open').length > opened, 'views.open');
    const view = fake.callsOf('views.open').at(-1)?.args.view;
    assert.equal(view.callback_id, 'countersign.batch_deny');
    const submission = {
      type: 'view_submission',
      team: { id: TEAM, domain: 'countersign-test' },
      user: { id: 'U0FRANK', team_id: TEAM },
      api_app_id: 'A0TEST',
      trigger_id: '1234567890.0987654321.fedcba',
      view: {
        id: 'V0TEST',
        type: 'modal',
        callback_id: view.callback_id,
        private_metadata: view.private_metadata,
        state: {
          values: { reason: { reason_input: { type: 'plain_text_input', value: 'No DPA' } } },
        },
      },
    };
    const res = await postInteraction(gw.url, submission, { secret: SIGNING_SECRET });
    assert.equal(res.status, 200);
    await until(async () => (await status(ids[0] ?? '')) === 'denied', 'denied');
    for (const id of ids) {
      assert.equal(await status(id), 'denied');
      const v = await votes(id);
      assert.equal(v[0]?.comment, 'No DPA');
      assert.equal(v[0]?.channel, 'slack');
    }
  });

  test('step_up: web rules get no batch buttons, a link to the web inbox instead', async () => {
    const ids = [];
    for (const name of ['db-a', 'db-b']) {
      ids.push(
        await submit({
          action: 'secrets.read',
          resource: `vault://prod/${name}`,
          environment: 'production',
        }),
      );
    }
    const m = await messageOf(
      ids[1] ?? '',
      (x) => JSON.stringify(x.blocks).includes('This rule needs the web inbox'),
      'open',
    );
    assert.equal(batchButtons(m).length, 0);
    assert.ok(JSON.stringify(m.blocks).includes('https://countersign.example.com/|'));
  });
});
