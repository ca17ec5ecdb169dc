import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, base64url } from 'jose';
import { CountersignError } from '@countersign/core';
import {
  ConfigError,
  channelSettings,
  loadConfig,
  resolveConfig,
  teamsChannelFactory,
} from '../src/index.js';
import type { TeamsConfig } from '../src/channels/teams/index.js';
import { requestCard } from '../src/channels/teams/teams-card.js';
import { readCardState, writeCardState } from '../src/channels/teams/teams-card-state.js';
import { readCardAction } from '../src/channels/teams/teams-activity.js';
import { TeamsJwtValidator } from '../src/channels/teams/teams-jwt.js';
import { OpenIdKeys } from '../src/channels/teams/teams-openid-keys.js';
import { TeamsTokenSource } from '../src/channels/teams/teams-token-source.js';
import type { RequestView } from '../src/views/request-view.js';
import { actionView } from '../src/views/action-view.js';
import { fakeRecord } from './webhooks-receiver.js';
import { DIRECTORY } from './harness.js';
import {
  APP_ID,
  APP_PASSWORD,
  ISSUER,
  TENANT_ID,
  startFakeBotFramework,
  type FakeBotFramework,
} from './fake-teams/fake-bot-framework.js';
import { cardText, executeActions } from './fake-teams/teams-gateway.js';
import { cardTexts, renderedMarkdown } from './fake-teams/card-checks.js';

const BASE: TeamsConfig = {
  app_id: APP_ID,
  tenant_id: TENANT_ID,
  app_password: APP_PASSWORD,
  channels: ['19:approvals@thread.tacv2'],
};

function resolve(teams: Partial<TeamsConfig>, env: NodeJS.ProcessEnv = {}, directory = DIRECTORY) {
  const config = resolveConfig(
    {
      directory,
      policy: 'policy.yaml',
      channels: { teams: { ...BASE, ...teams } },
    },
    '/tmp',
    env,
  );
  return { teams: channelSettings(config.channels, teamsChannelFactory) };
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  assert.fail('expected a configuration error');
}

describe('Teams settings (channels.teams)', () => {
  test("defaults: Microsoft's endpoints and the tenant's token URL", () => {
    const teams = resolve({}).teams;
    assert.ok(teams);
    assert.equal(teams.serviceUrl, 'https://smba.trafficmanager.net/teams/');
    assert.equal(
      teams.openIdMetadataUrl,
      'https://login.botframework.com/v1/.well-known/openidconfiguration',
    );
    assert.equal(teams.issuer, 'https://api.botframework.com');
    assert.equal(
      teams.tokenUrl,
      `https://login.microsoftonline.com/${TENANT_ID}/oauth2/v2.0/token`,
    );
    assert.equal(teams.dmApprovers, false);
    assert.equal(teams.emailMapping, true);
  });

  test('the secret: TEAMS_APP_PASSWORD, then app_password_env, then the file', () => {
    assert.equal(resolve({}, { TEAMS_APP_PASSWORD: 'from-env' }).teams?.appPassword, 'from-env');
    assert.equal(
      resolve({ app_password: undefined, app_password_env: 'BOT_SECRET' }, { BOT_SECRET: 'named' })
        .teams?.appPassword,
      'named',
    );
    assert.match(
      problems(() => resolve({ app_password: undefined })).join('\n'),
      /TEAMS_APP_PASSWORD/,
    );
    assert.match(
      problems(() => resolve({ app_password_env: 'UNSET_VAR' })).join('\n'),
      /UNSET_VAR is not set/,
    );
  });

  test('URLs that carry credentials or keys must be https (http only on loopback)', () => {
    for (const key of ['service_url', 'openid_metadata_url', 'token_url'] as const) {
      assert.match(
        problems(() => resolve({ [key]: 'http://bots.example.com/x' })).join('\n'),
        new RegExp(`${key} must be https`),
      );
    }
    assert.ok(resolve({ service_url: 'http://127.0.0.1:3978/teams' }).teams);
  });

  test('mistakes the gateway refuses to start with', () => {
    const all = problems(() =>
      resolve(
        { channels: [], group_channels: { nobody: ['19:x@thread.tacv2'] } },
        {},
        {
          ...DIRECTORY,
          users: [
            { id: 'u1', teams_aad_id: '11111111-1111-4111-8111-111111111111' },
            { id: 'u2', teams_aad_id: '11111111-1111-4111-8111-111111111111' },
            { id: 'u3', teams_aad_id: 'not-a-guid' },
          ],
          agents: [],
        },
      ),
    ).join('\n');
    assert.match(all, /unknown group "nobody"/);
    assert.match(all, /"u1" and "u2" have the same teams_aad_id/);
    assert.match(all, /"u3": teams_aad_id is not an Entra object id/);
    assert.match(problems(() => resolve({ channels: [] })).join('\n'), /nowhere to post/);
  });

  test('the schema: app and tenant ids are GUIDs, channels are 19:… ids, no unknown keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-teams-config-'));
    try {
      writeFileSync(join(dir, 'policy.yaml'), 'version: 1\nrules: []\n');
      writeFileSync(
        join(dir, 'countersign.yaml'),
        [
          'policy: policy.yaml',
          'directory: {}',
          'channels:',
          '  teams:',
          '    app_id: my-bot',
          `    tenant_id: ${TENANT_ID}`,
          '    channels: ["general"]',
          '    webhook: true',
        ].join('\n'),
      );
      const all = problems(() => loadConfig(join(dir, 'countersign.yaml'), {})).join('\n');
      assert.match(all, /countersign\.yaml:5: \/channels\/teams\/app_id must match pattern/);
      assert.match(all, /\/channels\/teams\/channels\/0 must match pattern/);
      assert.match(all, /must NOT have additional properties "webhook"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Teams card', () => {
  const view = (overrides: Parameters<typeof fakeRecord>[0] = {}, votes = []): RequestView => {
    return actionView(fakeRecord(overrides), { votes });
  };

  test('agent-supplied Markdown cannot make a link (prompt injection)', () => {
    const card = requestCard(
      view({
        justification:
          'Routine. [Approve here](https://evil.example/approve) or [x][1]\n\n[1]: https://evil.example',
        params: { note: '[click](https://evil.example)' },
      }),
      'https://countersign.example.com',
    );
    // Rendered as CommonMark (the Adaptive Cards Markdown subset): no link is made.
    for (const { where, text } of cardTexts(card)) {
      assert.ok(!renderedMarkdown(text).includes('<a '), `${where}: ${text}`);
    }
    assert.ok(cardText(card).includes('https://evil.example/approve'), 'the URL stays visible');
  });

  test('long fields are cut; params beyond twelve keys are named, not shown', () => {
    const params = Object.fromEntries(
      Array.from({ length: 15 }, (_, i) => [`k${i}`, 'x'.repeat(500)]),
    );
    const card = requestCard(
      view({ justification: 'j'.repeat(5000), params }),
      'https://c.example',
    );
    const text = cardText(card);
    assert.ok(!text.includes('j'.repeat(1500)));
    assert.ok(text.includes('… and 3 more'));
    assert.ok(JSON.stringify(card).length < 20_000, 'well under Teams’ message size');
  });

  test('decided: no buttons, no comment box; step-up: a link to the web UI instead', () => {
    const decided = requestCard(
      view({ status: 'approved', decided_at: Date.now() }),
      'https://c.example',
    );
    assert.equal(executeActions(decided).length, 0);
    assert.ok(!decided.body.some((e) => e.type === 'Input.Text'));
    const stepUp = view({
      approval: {
        clauses: [
          {
            rule: 'r',
            from: ['g'],
            groups: [],
            quorum: 1,
            break_glass: [],
            step_up: 'web',
          } as never,
        ],
        timeout_ms: 60_000,
        on_timeout: 'deny',
        justification_required: false,
      },
    });
    const card = requestCard(stepUp, 'https://c.example');
    assert.equal(executeActions(card).length, 0);
    assert.ok(card.actions.some((a) => a.title === 'Review in Countersign'));
  });
});

describe('Teams parsing', () => {
  test('card state: anything unexpected counts as nothing posted; a round trip keeps it', () => {
    for (const junk of [undefined, null, 1, 'x', [], { cards: 'x' }, { cards: [{ key: 1 }] }]) {
      assert.deepEqual(readCardState(junk as never), { cards: [], refused: [] });
    }
    const state = {
      cards: [{ key: 'dm:frank', conversation_id: 'a:1', activity_id: '2' }],
      refused: [{ key: 'channel:19:x', error: 'HTTP 403' }],
    };
    assert.deepEqual(readCardState(writeCardState(state)), state);
  });

  test('a click: only Action.Execute, own properties, bounded comment', () => {
    const value = (action: unknown) => ({ action });
    assert.deepEqual(
      readCardAction(
        value({
          type: 'Action.Execute',
          verb: 'countersign.approve',
          data: { action_id: 'act_1', comment: 'ok' },
        }),
      ),
      { verb: 'countersign.approve', actionId: 'act_1', comment: 'ok' },
    );
    assert.equal(
      readCardAction(value({ type: 'Action.Submit', verb: 'countersign.approve' })).verb,
      undefined,
    );
    assert.equal(
      readCardAction(value({ type: 'Action.Execute', data: { comment: 'x'.repeat(4001) } }))
        .comment,
      null,
    );
    assert.equal(
      readCardAction(value({ type: 'Action.Execute', data: { comment: 7 } })).comment,
      null,
    );
    const inherited = JSON.parse(
      '{"action":{"type":"Action.Execute","data":{"__proto__":{"action_id":"act_x"}}}}',
    );
    assert.equal(readCardAction(inherited).actionId, undefined);
    assert.deepEqual(readCardAction(null), {
      verb: undefined,
      actionId: undefined,
      comment: undefined,
    });
  });
});

describe('Teams authentication pieces', () => {
  let fake: FakeBotFramework;
  before(async () => {
    fake = await startFakeBotFramework();
  });
  after(() => fake.close());

  const validator = () =>
    new TeamsJwtValidator(new OpenIdKeys(fake.metadataUrl), { appId: APP_ID, issuer: ISSUER });
  const reason = async (header: string) => {
    try {
      await validator().verify(header);
    } catch (e) {
      assert.ok(e instanceof CountersignError);
      assert.equal(e.code, 'invalid_signature');
      return e.extra.reason;
    }
    assert.fail('expected a refusal');
  };

  test('algorithm confusion: HS256 with the public key as secret, and alg none, are refused', async () => {
    const keys = (await (await fetch(`${fake.url}/keys`)).json()) as { keys: Array<{ n: string }> };
    const hs = await new SignJWT({ serviceurl: fake.serviceUrl })
      .setProtectedHeader({ alg: 'HS256', kid: 'bf-key-1' })
      .setIssuer(ISSUER)
      .setAudience(APP_ID)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(keys.keys[0].n));
    assert.equal(await reason(`Bearer ${hs}`), 'algorithm');
    const none = [
      base64url.encode(JSON.stringify({ alg: 'none', kid: 'bf-key-1' })),
      base64url.encode(JSON.stringify({ iss: ISSUER, aud: APP_ID, exp: 9_999_999_999 })),
      '',
    ].join('.');
    assert.equal(await reason(`Bearer ${none}`), 'malformed');
  });

  test('a token without exp is refused; a token for a good key verifies with its endorsements', async () => {
    assert.equal(await reason(`Bearer ${await fake.sign({ expiresIn: null })}`), 'claims');
    const verified = await validator().verify(`Bearer ${await fake.sign()}`);
    assert.deepEqual(verified.endorsements, ['msteams', 'webchat']);
    assert.equal(verified.claims.serviceurl, fake.inboundServiceUrl);
  });

  test("the bot's token: cached, and Entra's refusal named without the secret", async () => {
    const tokens = new TeamsTokenSource({
      tokenUrl: fake.tokenUrl,
      appId: APP_ID,
      appPassword: APP_PASSWORD,
    });
    const first = await tokens.token();
    assert.equal(await tokens.token(), first, 'cached');
    tokens.invalidate();
    assert.notEqual(await tokens.token(), first);
    const wrong = new TeamsTokenSource({
      tokenUrl: fake.tokenUrl,
      appId: APP_ID,
      appPassword: 'wrong-secret',
    });
    await assert.rejects(wrong.token(), (e: Error) => {
      assert.match(e.message, /HTTP 401 \(invalid_client\)/);
      assert.ok(!e.message.includes('wrong-secret'));
      return true;
    });
  });
});
