import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { POLICY, dialects, startGateway, type TestGateway, indexedStore } from './harness.js';
import { asSession, signIn } from './web-harness.js';

/** The shared policy plus a rule whose approvals need the web inbox's sign-on. */
const STEP_UP_POLICY = `${POLICY}  - id: secrets-read
    match: { action: secrets.read }
    require_approval: { from: [security] }
    step_up: web
`;
const secretsRead = { action: 'secrets.read', resource: 'vault://prod/db-password' };
const bigExport = {
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 20000 },
};

/**
 * Issue 12, defects 2 and 3 from the API's side: `step_up: web` binds every channel, and the
 * channel a vote is recorded with comes from how the voter authenticated, never from a header.
 */
for (const dialect of await dialects()) {
  describe(`step-up and the vote's channel (${dialect})`, () => {
    let gw: TestGateway;
    let agent: string;
    let erin: string;
    before(async () => {
      gw = await startGateway({ dialect, policy: STEP_UP_POLICY });
      agent = await gw.token('agent', 'deployer');
      erin = await gw.token('user', 'erin'); // security: a reviewer of secrets-read
    });
    after(() => gw.close());

    const submit = async (body: unknown) => {
      const res = await gw.call('POST', '/v1/actions', { token: agent, body });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body as { id: string; updated_at: string };
    };
    const entries = async (type: string, requestId: string) =>
      (
        await (
          await indexedStore(gw)
        )
          .selectFrom('audit_entries')
          .select('entry')
          .where('type', '=', type)
          .execute()
      )
        .map((r) => JSON.parse(r.entry) as { request_id?: string; data: Record<string, unknown> })
        .filter((e) => e.request_id === requestId);
    const voteRows = (id: string) =>
      gw.gateway.storage.db
        .selectFrom('votes')
        .select(['user_id', 'outcome', 'code', 'channel'])
        .where('action_id', '=', id)
        .execute();

    test('an API token cannot approve a step_up: web rule: 403, audited once, nothing changes', async () => {
      const req = await submit(secretsRead);
      const res = await gw.call('POST', `/v1/actions/${req.id}/votes`, {
        token: erin,
        body: { vote: 'approve', comment: 'fine' },
      });
      assert.equal(res.status, 403);
      assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(res.body.code, 'step_up_required');
      const read = await gw.call('GET', `/v1/actions/${req.id}`, { token: agent });
      assert.equal(read.body.status, 'pending');
      assert.equal(read.body.updated_at, req.updated_at);
      assert.equal(read.body.grant, null);
      assert.deepEqual(read.body.votes, []);
      assert.deepEqual(await voteRows(req.id), [
        { user_id: 'erin', outcome: 'refused', code: 'step_up_required', channel: 'api' },
      ]);
      const refused = await entries('action.vote_refused', req.id);
      assert.equal(refused.length, 1);
      assert.equal(refused[0]?.data.code, 'step_up_required');
      assert.equal(refused[0]?.data.channel, 'api');
      // Recorded with the vote; the API's refusal recorder does not write it a second time.
      assert.deepEqual(await entries('api.refused', req.id), []);
    });

    test('a User-Agent claiming the CLI changes nothing: still api, still refused', async () => {
      const req = await submit(secretsRead);
      const res = await gw.call('POST', `/v1/actions/${req.id}/votes`, {
        token: erin,
        body: { vote: 'approve' },
        headers: { 'user-agent': 'countersign-cli/0.1.0' },
      });
      assert.equal(res.body.code, 'step_up_required');
      assert.deepEqual(
        (await voteRows(req.id)).map((v) => v.channel),
        ['api'],
      );
    });

    test('denying needs no step-up: an API token denies a step_up: web request', async () => {
      const req = await submit(secretsRead);
      const res = await gw.call('POST', `/v1/actions/${req.id}/votes`, {
        token: erin,
        body: { vote: 'deny', comment: 'not today' },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.status, 'denied');
    });

    test('a web session approves a step_up: web request, recorded as web, and a grant is signed', async () => {
      const req = await submit(secretsRead);
      const session = await signIn(gw, 'erin');
      const res = await asSession(gw, session, 'POST', `/v1/actions/${req.id}/votes`, {
        body: { vote: 'approve', comment: 'checked in the inbox' },
        // A browser's own User-Agent; irrelevant either way.
        headers: { 'user-agent': 'countersign-cli/0.1.0' },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.status, 'approved');
      const read = await gw.call('GET', `/v1/actions/${req.id}`, { token: agent });
      assert.ok(read.body.grant?.token, 'the approving vote signed a grant');
      assert.deepEqual(
        read.body.votes.map((v: { user: string; channel: string }) => [v.user, v.channel]),
        [['erin', 'web']],
      );
    });

    test('an API vote sent with User-Agent: countersign-cli is recorded as channel api', async () => {
      const exporter = await gw.token('agent', 'exporter');
      const res = await gw.call('POST', '/v1/actions', { token: exporter, body: bigExport });
      const id = res.body.id as string;
      const alice = await gw.token('user', 'alice');
      const voted = await gw.call('POST', `/v1/actions/${id}/votes`, {
        token: alice,
        body: { vote: 'approve' },
        headers: { 'user-agent': 'countersign-cli/0.1.0' },
      });
      assert.equal(voted.status, 200, JSON.stringify(voted.body));
      assert.deepEqual(
        voted.body.votes.map((v: { channel: string }) => v.channel),
        ['api'],
      );
      const counted = await entries('action.vote_counted', id);
      assert.equal(counted[0]?.data.channel, 'api');
    });
  });
}
