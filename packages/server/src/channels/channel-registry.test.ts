import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema } from '../config/config-schema.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { CHANNEL_FACTORIES } from './registry.js';
import { channelSettings } from './resolved-channel.js';
import { slackChannelFactory } from './slack/slack-channel-factory.js';
import { teamsChannelFactory } from './teams/teams-channel-factory.js';
import { webhookChannelFactory } from './webhook/webhook-channel-factory.js';

const dir = mkdtempSync(join(tmpdir(), 'countersign-registry-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a countersign.yaml made of these lines and loads it. */
function load(lines: string[], env: NodeJS.ProcessEnv = {}) {
  const file = join(dir, 'countersign.yaml');
  writeFileSync(file, ['policy: policy.yaml', 'directory: {}', ...lines].join('\n'));
  return loadConfig(file, env);
}

function problems(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems.join('\n');
  }
  assert.fail('expected a ConfigError');
}

const ALL_CHANNELS = [
  'webhooks:',
  '  endpoints:',
  '    - name: ops',
  '      url: https://hooks.example.com/a',
  '      secret: ops-secret-0123456789',
  'channels:',
  '  slack:',
  '    bot_token: xoxb-test',
  '    signing_secret: slack-signing-secret',
  '    channels: ["CAPPROVALS"]',
  '  teams:',
  '    app_id: 00000000-0000-4000-8000-000000000001',
  '    tenant_id: 00000000-0000-4000-8000-000000000002',
  '    app_password: teams-secret',
  '    channels: ["19:approvals@thread.tacv2"]',
];

describe('the channel registry', () => {
  test('every factory has its own name and its own place in countersign.yaml', () => {
    const names = CHANNEL_FACTORIES.map((f) => f.name);
    assert.equal(new Set(names).size, names.length, `duplicate names: ${names.join(', ')}`);
    const paths = CHANNEL_FACTORIES.map((f) => f.configPath.join('.'));
    assert.equal(new Set(paths).size, paths.length, `duplicate sections: ${paths.join(', ')}`);
    assert.deepEqual(paths, ['webhooks', 'channels.slack', 'channels.teams']);
  });

  test("the config schema validates each section with its factory's own schema", () => {
    const schema = ConfigSchema as unknown as {
      properties: Record<string, unknown> & { channels: { properties: Record<string, unknown> } };
    };
    for (const f of CHANNEL_FACTORIES) {
      const [first, second] = f.configPath;
      const section =
        second === undefined
          ? schema.properties[first]
          : schema.properties.channels.properties[second];
      // As JSON: TypeBox's own markers (Optional) are not part of the JSON Schema ajv reads.
      assert.equal(JSON.stringify(section), JSON.stringify(f.configSchema), f.name);
    }
  });

  test('a config with every channel resolves every channel, in registry order', () => {
    const config = load(ALL_CHANNELS);
    assert.deepEqual(
      config.channels.map((c) => c.name),
      ['webhook', 'slack', 'teams'],
    );
    assert.equal(
      channelSettings(config.channels, webhookChannelFactory)?.endpoints[0]?.name,
      'ops',
    );
    assert.equal(channelSettings(config.channels, slackChannelFactory)?.botToken, 'xoxb-test');
    assert.equal(
      channelSettings(config.channels, teamsChannelFactory)?.appPassword,
      'teams-secret',
    );
  });

  test('without sections only the webhook channel is there (it refuses callbacks on record)', () => {
    const config = load([]);
    assert.deepEqual(
      config.channels.map((c) => c.name),
      ['webhook'],
    );
    assert.equal(channelSettings(config.channels, slackChannelFactory), undefined);
    assert.equal(channelSettings(config.channels, teamsChannelFactory), undefined);
  });

  test('an unknown channel is refused with its file and line (the line of its key)', () => {
    const text = problems(() => load(['channels:', '  email:', '    to: ops@example.com']));
    assert.match(
      text,
      /countersign\.yaml:4: \/channels must NOT have additional properties "email"/,
    );
  });

  test("a channel's own mistakes are reported at their line, every channel at once", () => {
    const text = problems(() =>
      load([
        'webhooks:',
        '  endpoints:',
        '    - name: ops',
        '      url: https://hooks.example.com/a',
        'channels:',
        '  slack:',
        '    bot_token_env: UNSET_SLACK_TOKEN',
        '    signing_secret: s',
      ]),
    );
    assert.match(text, /countersign\.yaml:5: endpoint "ops" needs a secret/);
    assert.match(text, /countersign\.yaml:9: environment variable UNSET_SLACK_TOKEN is not set/);
  });
});
