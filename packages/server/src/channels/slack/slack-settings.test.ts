import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, resolveConfig } from '../../config/load-config.js';
import { DIRECTORY } from '../../../test/harness.js';

test('channels.slack configuration errors stop the gateway from starting', () => {
  const resolve = (slack: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
    try {
      resolveConfig(
        {
          directory: {
            ...DIRECTORY,
            users: [
              { id: 'a', slack_id: 'U1' },
              { id: 'b', slack_id: 'U1' },
            ],
          },
          policy: 'p.yaml',
          channels: { slack },
        },
        '/tmp',
        env,
      );
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.problems.join('\n');
    }
    return '';
  };
  const problems = resolve({ bot_token: 'xapp-wrong', group_channels: { nobody: ['C1234'] } });
  assert.match(problems, /bot token must start with xoxb-/);
  assert.match(problems, /HTTP mode needs the signing secret/);
  assert.match(problems, /unknown group "nobody"/);
  assert.match(problems, /"a" and "b" have the same slack_id/);
  assert.match(
    resolve({ mode: 'socket', bot_token: 'xoxb-1' }),
    /Socket Mode needs an app-level token/,
  );
  assert.match(resolve({ bot_token_env: 'MY_BOT' }), /environment variable MY_BOT is not set/);
  // Slack's own variable names win over the file.
  const fromEnv = resolve(
    { bot_token: 'nope' },
    { SLACK_BOT_TOKEN: 'xoxb-env', SLACK_SIGNING_SECRET: 'a-signing-secret-long-enough' },
  );
  assert.doesNotMatch(fromEnv, /bot token|signing secret/);
});
