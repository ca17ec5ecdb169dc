import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestGateway } from './harness.js';
import { startFakeBotFramework, type FakeBotFramework } from './fake-teams/fake-bot-framework.js';
import {
  auditEntries,
  invokeActivity,
  postActivity,
  startTeamsGateway,
  submitExport,
} from './fake-teams/teams-gateway.js';

/**
 * Inbound authentication at POST /api/messages: every way a token can be wrong is a 401
 * `invalid_signature` that changes nothing and leaves an `api.refused` entry; the same click
 * with a good token is counted.
 */
for (const dialect of await dialects()) {
  describe(`Teams: Bot Framework JWT at /api/messages (${dialect})`, () => {
    let fake: FakeBotFramework;
    let gw: TestGateway;
    let id: string;

    before(async () => {
      fake = await startFakeBotFramework();
      gw = await startTeamsGateway(fake, { dialect });
      id = await submitExport(gw, await gw.token('agent', 'exporter'));
    });
    after(async () => {
      await gw.close();
      await fake.close();
    });

    const click = (extra: Partial<Parameters<typeof invokeActivity>[0]> = {}) =>
      invokeActivity({ as: 'frank', actionId: id, serviceUrl: fake.inboundServiceUrl, ...extra });

    async function refused(
      reason: string,
      authorization: string | undefined,
      activity = click(),
    ): Promise<void> {
      // Anonymous refusals are recorded at most 10 a second (refusal-recorder.ts).
      await new Promise((r) => setTimeout(r, 120));
      const audited = (await auditEntries(gw, 'api.refused')).length;
      const res = await postActivity(gw, activity, authorization);
      assert.equal(res.status, 401, JSON.stringify(res.body));
      assert.equal(res.body.code, 'invalid_signature');
      assert.equal(res.body.reason, reason);
      // No state change: no vote of any kind, the request still pending.
      const votes = await gw.gateway.storage.db
        .selectFrom('votes')
        .select('id')
        .where('action_id', '=', id)
        .execute();
      assert.equal(votes.length, 0, 'no vote recorded');
      const record = await gw.gateway.actions.votes(id);
      assert.equal(record.length, 0);
      const entries = await auditEntries(gw, 'api.refused');
      assert.equal(entries.length, audited + 1, 'the refusal is audited');
      const last = entries[entries.length - 1];
      assert.equal(last.data.code, 'invalid_signature');
      assert.equal(last.data.route, '/api/messages');
      assert.equal(last.actor.kind, 'anonymous');
    }

    test('no Authorization header', () => refused('missing', undefined));

    test('not a Bearer JWT', async () => {
      await refused('malformed', 'Bearer not-a-jwt');
      await refused('malformed', `Basic ${Buffer.from('a:b').toString('base64')}`);
    });

    test('signed with a key the Bot Connector does not publish', async () =>
      refused('signature', `Bearer ${await fake.sign({ key: 'rogue' })}`));

    test('an altered token', async () => {
      const token = await fake.sign();
      const [h, p, s] = token.split('.');
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
      const forged = Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString(
        'base64url',
      );
      await refused('signature', `Bearer ${h}.${forged}.${s}`);
    });

    test('expired (beyond the 5-minute clock skew)', async () =>
      refused('expired', `Bearer ${await fake.sign({ expiresIn: -400 })}`));

    test('for another bot (audience)', async () =>
      refused(
        'audience',
        `Bearer ${await fake.sign({ aud: '00000000-0000-4000-8000-000000000000' })}`,
      ));

    test('from another issuer', async () =>
      refused('issuer', `Bearer ${await fake.sign({ iss: 'https://login.example.com' })}`));

    test("the serviceurl claim does not match the activity's serviceUrl", async () => {
      const token = `Bearer ${await fake.sign()}`;
      await refused('service_url', token, click({ serviceUrl: 'https://evil.example.com/teams/' }));
      await refused('service_url', `Bearer ${await fake.sign({ serviceUrl: null })}`);
    });

    test('a key that is not endorsed for Teams, or an activity of another channel', async () => {
      await refused('endorsement', `Bearer ${await fake.sign({ key: 'skype' })}`);
      await refused('channel', `Bearer ${await fake.sign()}`, click({ channelId: 'webchat' }));
    });

    test('a good token inside the clock skew is accepted, and the click is counted', async () => {
      const res = await postActivity(gw, click(), `Bearer ${await fake.sign({ expiresIn: -120 })}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.statusCode, 200);
      assert.equal(res.body.type, 'application/vnd.microsoft.card.adaptive');
      const votes = await gw.gateway.actions.votes(id);
      assert.deepEqual(
        votes.map((v) => [v.user, v.outcome, v.channel]),
        [['frank', 'counted', 'teams']],
      );
    });

    test('a good token with a body that is not an activity is a 400, after the token check', async () => {
      const token = `Bearer ${await fake.sign()}`;
      const res = await postActivity(gw, '{"type":', token);
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'malformed_json');
      const unsigned = await postActivity(gw, '{"type":', undefined);
      assert.equal(unsigned.status, 401, 'the token is checked before the body');
    });

    test('a good token with an activity nested past the JSON depth limit is a 400, nothing counted', async () => {
      const fresh = await submitExport(gw, await gw.token('agent', 'exporter'));
      const deep = '['.repeat(65) + ']'.repeat(65);
      const raw = JSON.stringify(click({ actionId: fresh })).replace(
        /\}$/,
        `,"channelData2":${deep}}`,
      );
      const token = `Bearer ${await fake.sign()}`;
      const res = await postActivity(gw, raw, token);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.code, 'invalid_request');
      assert.equal(res.body.max_depth, 64);
      const unsigned = await postActivity(gw, raw, undefined);
      assert.equal(unsigned.status, 401, 'the token is checked before the body');
      assert.equal((await gw.gateway.actions.votes(fresh)).length, 0);
    });

    test("the Bot Connector's keys unreachable: refused (fail closed)", async () => {
      // A fresh gateway: no keys read yet, and the metadata endpoint down.
      fake.metadataUp = false;
      const other = await startTeamsGateway(fake, { dialect });
      try {
        const res = await postActivity(other, click(), `Bearer ${await fake.sign()}`);
        assert.equal(res.status, 401);
        assert.equal(res.body.reason, 'keys_unavailable');
      } finally {
        fake.metadataUp = true;
        await other.close();
      }
    });
  });
}
