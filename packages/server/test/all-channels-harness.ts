import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ConfigFile } from '../src/index.js';
import { startGateway, type Dialect, type TestGateway } from './harness.js';
import { BOT_TOKEN, startFakeSlack, type FakeSlack } from './fake-slack/fake-slack.js';
import {
  SIGNING_SECRET,
  TEAM,
  blockActions,
  postInteraction,
} from './fake-slack/slack-payloads.js';
import {
  APP_ID,
  APP_PASSWORD,
  TENANT_ID,
  startFakeBotFramework,
  type FakeBotFramework,
} from './fake-teams/fake-bot-framework.js';
import { invokeActivity, postActivity, teamsUserId } from './fake-teams/teams-gateway.js';

/**
 * One gateway with every channel a person can approve through (the API, the CLI, the web
 * inbox, Slack, Teams), on a clock the test moves forward. Each channel has its own approver,
 * mapped the way that channel maps people, so a request needs one vote from each.
 */

/**
 * Longer than every cache and timer in the gateway, so that after a jump each one is stale:
 * the grant key ring (KEY_REFRESH_MS, 30 s), the token cache (TOKEN_CACHE_MS, 1 s), the audit
 * checkpoint interval (10 s), outbox leases (timeout + 30 s), the web session purge (60 s),
 * the Slack and Teams identity caches (5 min), the Teams bot token (renewed 5 min before its
 * 1 h expiry) and the Teams OpenID keys (24 h). Nothing issued before a jump is used after it
 * except API tokens, which do not expire.
 */
export const PAST_EVERY_INTERVAL_MS = 25 * 3600_000;

/** Wall time plus however far the test has moved it. */
export class TestClock {
  #offset = 0;
  readonly now = (): number => Date.now() + this.#offset;
  advance(ms: number): void {
    this.#offset += ms;
  }
  /** How far ahead of the wall clock the gateway is, in seconds (for tokens signed by fakes). */
  get aheadSeconds(): number {
    return Math.ceil(this.#offset / 1000);
  }
}

export const SLACK_CHANNEL = 'CAPPROVALS';
export const TEAMS_CHANNEL = '19:loopapprovals00@thread.tacv2';
export const SAM_SLACK_ID = 'U0SAM';
export const TIA_AAD_ID = '7a000000-0000-4000-8000-0000000000a7';

/** Who approves through which channel. */
export const APPROVER = { api: 'ann', cli: 'cid', web: 'wes', slack: 'sam', teams: 'tia' } as const;

export const LOOP_DIRECTORY: ConfigFile['directory'] = {
  groups: [{ id: 'approvers' }],
  users: [
    { id: 'ann', email: 'ann@example.com', groups: ['approvers'] },
    { id: 'cid', email: 'cid@example.com', groups: ['approvers'] },
    { id: 'wes', email: 'wes@example.com', groups: ['approvers'] },
    { id: 'sam', email: 'sam@example.com', groups: ['approvers'], slack_id: SAM_SLACK_ID },
    { id: 'tia', email: 'tia@example.com', groups: ['approvers'], teams_aad_id: TIA_AAD_ID },
    { id: 'root', email: 'root@example.com', groups: [], admin: true },
  ],
  agents: [{ id: 'exporter', owners: ['root'] }],
};

export const LOOP_POLICY = `version: 1
defaults:
  decision: deny
  approval: { timeout: 30m, on_timeout: deny }
rules:
  - id: every-channel
    description: One approval through each channel the gateway offers
    match: { action: db.export, environment: production }
    require_approval:
      from: [approvers]
      quorum: 5
`;

/**
 * What the stricter Bot Connector fake (issue 12's Teams work, built in parallel) adds: absent
 * here until it lands, used when present, so this loop runs against either.
 */
type StricterFakeBotFramework = FakeBotFramework & {
  installations?: Set<string>;
  inboundServiceUrl?: string;
};

export interface AllChannels {
  gw: TestGateway;
  clock: TestClock;
  slack: FakeSlack;
  teams: FakeBotFramework;
  /** Clicks Approve on the Slack message, signed with the signing secret at the gateway's time. */
  slackApprove(id: string, messageTs: string): Promise<{ status: number }>;
  /** Clicks Approve on the Teams card: an `adaptiveCard/action` invoke with a Bot Connector JWT. */
  teamsApprove(id: string, conversationId: string): ReturnType<typeof postActivity>;
  close(): Promise<void>;
}

export async function startAllChannels(dialect: Dialect): Promise<AllChannels> {
  const clock = new TestClock();
  const slack = await startFakeSlack();
  slack.users.set(SAM_SLACK_ID, {
    id: SAM_SLACK_ID,
    team_id: TEAM,
    is_email_confirmed: true,
    profile: { email: 'sam@example.com', real_name: 'Sam' },
  });
  const teams: StricterFakeBotFramework = await startFakeBotFramework();
  // The stricter fake posts only where the app is installed, and signs inbound activities for
  // a regional service URL that differs from the one the bot sends to, as Teams does.
  teams.installations?.add(TEAMS_CHANNEL);
  const inboundServiceUrl = teams.inboundServiceUrl ?? teams.serviceUrl;
  teams.members.set(teamsUserId('tia'), {
    aadObjectId: TIA_AAD_ID,
    email: 'tia@example.com',
    userPrincipalName: 'tia@example.com',
    tenantId: TENANT_ID,
  });
  const gw = await startGateway({
    dialect,
    now: clock.now,
    tickMs: 20,
    policy: LOOP_POLICY,
    directory: LOOP_DIRECTORY,
    channels: {
      slack: {
        bot_token: BOT_TOKEN,
        signing_secret: SIGNING_SECRET,
        channels: [SLACK_CHANNEL],
        api_url: slack.url,
        timeout_ms: 2000,
        backoff: { initial_ms: 50, max_ms: 200 },
      },
      teams: {
        app_id: APP_ID,
        app_password: APP_PASSWORD,
        tenant_id: TENANT_ID,
        channels: [TEAMS_CHANNEL],
        service_url: teams.serviceUrl,
        openid_metadata_url: teams.metadataUrl,
        token_url: teams.tokenUrl,
        timeout_ms: 5000,
        backoff: { initial_ms: 50, max_ms: 200 },
      },
    },
  });
  return {
    gw,
    clock,
    slack,
    teams,
    slackApprove: (id, messageTs) =>
      postInteraction(
        gw.url,
        blockActions({
          user: SAM_SLACK_ID,
          actionId: `countersign.approve:${id}`,
          channel: SLACK_CHANNEL,
          messageTs,
        }),
        // Slack signs with its own (right) time; the gateway's clock is the one that moved.
        { timestamp: Math.floor(clock.now() / 1000) },
      ),
    async teamsApprove(id, conversationId) {
      const activity = invokeActivity({
        as: { id: teamsUserId('tia'), aadObjectId: TIA_AAD_ID, name: 'Tia' },
        actionId: id,
        serviceUrl: inboundServiceUrl,
        conversationId,
      });
      // The fake signs on the wall clock: the token must outlive the jump to be valid now.
      const jwt = await teams.sign({
        serviceUrl: inboundServiceUrl,
        expiresIn: clock.aheadSeconds + 3600,
      });
      return postActivity(gw, activity, `Bearer ${jwt}`);
    },
    async close() {
      await gw.close();
      await slack.close();
      await teams.close();
    },
  };
}

/** The built CLI, run as a user runs it (packages/cli/dist/src/main.js). */
export const CLI_MAIN = fileURLToPath(new URL('../../../cli/dist/src/main.js', import.meta.url));

/**
 * Runs the countersign CLI as a separate process. Asynchronously: the gateway it talks to
 * lives in this process, and a synchronous spawn would block the gateway from answering.
 */
export function runCli(
  args: string[],
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_MAIN, ...args],
      { encoding: 'utf8', timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ status: code, stdout, stderr });
      },
    );
  });
}

/** How long one step of the loop may take before the test names it as the one that hung. */
export const STEP_MS = 20_000;

/** Runs one step with a deadline, so that a hang fails with the step's name. */
export async function within<T>(step: string, run: () => Promise<T>, ms = STEP_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${step}: no answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([run(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Closes the gateway and the fakes. A gateway whose store hangs cannot close (the defect this
 * loop guards against): then the test process is ended, failed, rather than left to hold the
 * whole run forever. The timer is unref'd, so it fires only if something still hangs.
 */
export async function closeOrGiveUp(loop: AllChannels): Promise<void> {
  try {
    await within('closing the gateway', () => loop.close(), 15_000);
  } catch (e) {
    setTimeout(() => process.exit(1), 2000).unref();
    throw e;
  }
}
