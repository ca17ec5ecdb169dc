import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  channelSettings,
  loadConfig,
  resolveConfig,
  webhookChannelFactory,
  type ConfigFile,
  type GatewayConfig,
} from '../src/index.js';
import { DIRECTORY } from './harness.js';

const base = (webhooks: ConfigFile['webhooks']): ConfigFile => ({
  directory: DIRECTORY,
  policy: 'policy.yaml',
  webhooks,
});
const webhooksOf = (config: GatewayConfig) =>
  channelSettings(config.channels, webhookChannelFactory);
const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
  assert.fail('expected a ConfigError');
};

describe('webhooks configuration', () => {
  test('defaults: no endpoints, callbacks disabled, 12 attempts, 5 s timeout, 1 s → 10 min backoff', () => {
    const config = resolveConfig(base(undefined), '/tmp', {});
    assert.deepEqual(webhooksOf(config)?.endpoints, []);
    assert.equal(webhooksOf(config)?.callback.secret, undefined);
    assert.equal(webhooksOf(config)?.callback.allowedHosts.empty, true);
    assert.deepEqual(webhooksOf(config)?.delivery, {
      maxAttempts: 12,
      timeoutMs: 5000,
      backoff: { initialMs: 1000, maxMs: 600_000 },
    });
  });

  test('secrets from the file, from secret_env, and from COUNTERSIGN_* variables (which win)', () => {
    const raw = base({
      endpoints: [
        { name: 'ops', url: 'https://hooks.example.com/a', secret: 'file-secret-0123456789' },
        { name: 'siem-eu', url: 'https://siem.example.com/b', secret_env: 'SIEM_SECRET' },
      ],
      callback: { secret_env: 'CB_SECRET', allowed_hosts: ['*.agents.internal'] },
    });
    const env = { SIEM_SECRET: 'env-secret-0123456789', CB_SECRET: 'cb-secret-0123456789' };
    const config = resolveConfig(raw, '/tmp', env);
    assert.deepEqual(
      webhooksOf(config)?.endpoints.map((e) => e.secret),
      ['file-secret-0123456789', 'env-secret-0123456789'],
    );
    assert.equal(webhooksOf(config)?.callback.secret, 'cb-secret-0123456789');
    const overridden = resolveConfig(raw, '/tmp', {
      ...env,
      COUNTERSIGN_WEBHOOK_OPS_SECRET: 'override-ops-0123456789',
      COUNTERSIGN_WEBHOOK_SIEM_EU_SECRET: 'override-siem-0123456789',
      COUNTERSIGN_CALLBACK_SECRET: 'override-cb-0123456789',
    });
    assert.deepEqual(
      webhooksOf(overridden)?.endpoints.map((e) => e.secret),
      ['override-ops-0123456789', 'override-siem-0123456789'],
    );
    assert.equal(webhooksOf(overridden)?.callback.secret, 'override-cb-0123456789');
  });

  test('missing or short secrets, unset variables, bad hosts and duplicates are config errors', () => {
    const problems = problemsOf(() =>
      resolveConfig(
        base({
          endpoints: [
            { name: 'ops', url: 'https://hooks.example.com/a' },
            {
              name: 'ops',
              url: 'https://u:p@hooks.example.com/b',
              secret: 'file-secret-0123456789',
            },
            { name: 'siem', url: 'https://siem.example.com/', secret_env: 'NOT_SET' },
          ],
          callback: { allowed_hosts: ['http://x/'] },
        }),
        '/tmp',
        { COUNTERSIGN_WEBHOOK_SIEM_SECRET: 'short' },
      ),
    );
    const text = problems.join('\n');
    assert.match(text, /endpoint "ops" needs a secret/);
    assert.match(text, /duplicate endpoint "ops"/);
    assert.match(text, /credentials in the URL/);
    assert.match(text, /at least 16 characters/);
    assert.match(text, /not a host pattern/);
    // Allowed hosts with no secret would mean unsigned callbacks anyone could forge.
    const unsigned = problemsOf(() =>
      resolveConfig(base({ callback: { allowed_hosts: ['127.0.0.1'] } }), '/tmp', {}),
    );
    assert.match(unsigned.join('\n'), /callbacks need a secret/);
    const unset = problemsOf(() =>
      resolveConfig(base({ callback: { secret_env: 'NOT_SET' } }), '/tmp', {}),
    );
    assert.match(unset.join('\n'), /environment variable NOT_SET is not set/);
  });

  test('countersign.yaml: unknown keys and bad values are reported with file:line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-webhooks-'));
    writeFileSync(join(dir, 'policy.yaml'), 'version: 1\nrules: []\n');
    const file = join(dir, 'countersign.yaml');
    writeFileSync(
      file,
      [
        'policy: policy.yaml',
        'directory: {}',
        'webhooks:',
        '  endpoints:',
        '    - name: ops',
        '      url: ftp://hooks.example.com/',
        '      secret: file-secret-0123456789',
        '      events: [action.exploded]',
        '  retries: 3',
        '',
      ].join('\n'),
    );
    const text = problemsOf(() => loadConfig(file, {})).join('\n');
    rmSync(dir, { recursive: true, force: true });
    assert.match(text, /countersign\.yaml:6: \/webhooks\/endpoints\/0\/url/);
    assert.match(text, /countersign\.yaml:8: \/webhooks\/endpoints\/0\/events\/0/);
    assert.match(text, /"retries"/);
  });
});
