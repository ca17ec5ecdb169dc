import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, resolveConfig } from '../../config/load-config.js';
import { channelSettings } from '../resolved-channel.js';
import { teamsChannelFactory } from './teams-channel-factory.js';
import type { TeamsConfig } from './teams-settings.js';
import { DIRECTORY } from '../../../test/harness.js';
import { APP_ID, APP_PASSWORD, TENANT_ID } from '../../../test/fake-teams/fake-bot-framework.js';

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
