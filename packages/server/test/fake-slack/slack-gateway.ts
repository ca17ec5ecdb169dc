import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway, resolveConfig, type ConfigFile, type Gateway } from '../../src/index.js';
import type { SlackConfig } from '../../src/channels/slack/index.js';
import { DIRECTORY, POLICY, indexedStore } from '../harness.js';
import { BOT_TOKEN, type FakeSlack } from './fake-slack.js';
import { SIGNING_SECRET, type JsonBody } from './slack-payloads.js';

export const PUBLIC_URL = 'https://countersign.example.com';

/** Slack ids in the test workspace; alice has none and is found by her email. */
export const SLACK_IDS: Readonly<Record<string, string>> = {
  frank: 'U0FRANK',
  bob: 'U0BOB',
  carol: 'U0CAROL',
  erin: 'U0ERIN',
  mallory: 'U0MALLORY',
};

/** The test directory with Slack identities. */
export const SLACK_DIRECTORY: ConfigFile['directory'] = {
  ...DIRECTORY,
  users: (DIRECTORY.users ?? []).map((u) => {
    const slackId = SLACK_IDS[u.id];
    return slackId === undefined ? u : { ...u, slack_id: slackId };
  }),
};

/** The shared test policy plus a step-up rule and a rule with its own Slack channel. */
export const SLACK_POLICY = `${POLICY}  - id: secrets-read
    match: { action: secrets.read }
    require_approval: { from: [security] }
    step_up: web
  - id: payments-deploy
    match: { action: deploy.payments }
    require_approval: { from: [platform] }
    notify: { slack: { channels: [CPAYMENTS] } }
`;

export interface SlackGateway {
  gateway: Gateway;
  url: string;
  token(kind: 'agent' | 'user', id: string): Promise<string>;
  call(
    method: string,
    path: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; body: JsonBody }>;
  close(): Promise<void>;
}

/** A real gateway on loopback whose Slack channel talks to `fake`. */
export async function startSlackGateway(
  fake: FakeSlack,
  slack: Partial<SlackConfig> = {},
  options: { tickMs?: number; policy?: string } = {},
): Promise<SlackGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-slack-'));
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, options.policy ?? SLACK_POLICY);
  const config = resolveConfig(
    {
      server: { host: '127.0.0.1', port: 0, log_level: 'silent', public_url: PUBLIC_URL },
      data_dir: join(dir, 'data'),
      scheduler: { tick_ms: options.tickMs ?? 20 },
      directory: SLACK_DIRECTORY,
      policy: policyFile,
      channels: {
        slack: {
          bot_token: BOT_TOKEN,
          signing_secret: SIGNING_SECRET,
          channels: ['CAPPROVALS'],
          api_url: fake.url,
          timeout_ms: 2000,
          backoff: { initial_ms: 50, max_ms: 200 },
          ...slack,
        },
      },
    },
    dir,
    {},
  );
  const gateway = await createGateway(config, { pollMs: 100 });
  const url = await gateway.listen();
  return {
    gateway,
    url,
    async token(kind, id) {
      return (await gateway.tokens.create(kind, id)).token;
    },
    async call(method, path, token, body) {
      const res = await fetch(url + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await gateway.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` holds (deliveries happen on the scheduler's ticks). */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 5000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

/** Audit entries of one type, parsed. */
export async function auditEntries(gw: SlackGateway, type: string): Promise<JsonBody[]> {
  // Indexed entries only: on PostgreSQL evidence gets its index after the commit.
  const rows = await (
    await indexedStore(gw)
  )
    .selectFrom('audit_entries')
    .select('entry')
    .where('type', '=', type)
    .orderBy('idx')
    .execute();
  return rows.map((r) => JSON.parse(r.entry));
}
