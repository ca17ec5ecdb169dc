import { signSlackRequest } from '../../src/channels/slack/index.js';
import { triggerId } from './fake-slack.js';

/** A JSON response body: tests assert on it field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary JSON off the wire
export type JsonBody = any;

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const TEAM = 'T0TEST';

/**
 * A block_actions payload as Slack sends it when a user clicks a button in one of our messages
 * (https://docs.slack.dev/reference/interaction-payloads/block_actions-payload), trimmed to
 * the members Slack always includes.
 */
export function blockActions(options: {
  user: string;
  actionId: string;
  channel?: string;
  messageTs?: string;
  team?: string;
  triggerId?: string;
  responseUrl?: string;
  /** The button's value (a batch button's item list); by default the id after the colon. */
  value?: string;
}): Record<string, unknown> {
  const channel = options.channel ?? 'CAPPROVALS';
  return {
    type: 'block_actions',
    user: { id: options.user, username: options.user.toLowerCase(), team_id: options.team ?? TEAM },
    api_app_id: 'A0TEST',
    token: 'legacy-verification-token',
    container: {
      type: 'message',
      message_ts: options.messageTs ?? '1700000000.000100',
      channel_id: channel,
      is_ephemeral: false,
    },
    trigger_id: options.triggerId ?? triggerId(),
    team: { id: options.team ?? TEAM, domain: 'countersign-test' },
    channel: { id: channel, name: 'approvals' },
    response_url: options.responseUrl ?? 'https://hooks.slack.com/actions/T0TEST/1/abc',
    actions: [
      {
        type: 'button',
        action_id: options.actionId,
        block_id: 'countersign.vote',
        text: { type: 'plain_text', text: 'Approve', emoji: true },
        value: options.value ?? options.actionId.split(':')[1] ?? '',
        action_ts: '1700000001.000200',
      },
    ],
  };
}

/** A view_submission payload for our deny modal, with the reason typed in. */
export function denySubmission(options: {
  user: string;
  id: string;
  reason: string;
  channel?: string;
}): Record<string, unknown> {
  return {
    type: 'view_submission',
    team: { id: TEAM, domain: 'countersign-test' },
    user: { id: options.user, team_id: TEAM },
    api_app_id: 'A0TEST',
    trigger_id: '1234567890.0987654321.fedcba',
    view: {
      id: 'V0TEST',
      type: 'modal',
      callback_id: 'countersign.deny',
      private_metadata: JSON.stringify({
        id: options.id,
        channel: options.channel ?? 'CAPPROVALS',
      }),
      state: {
        values: { reason: { reason_input: { type: 'plain_text_input', value: options.reason } } },
      },
    },
  };
}

/** The form body Slack posts: `payload=<url-encoded JSON>`. */
export function formBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/**
 * POSTs an interaction to the gateway exactly as Slack does: form-encoded, signed with the
 * signing secret over `v0:<timestamp>:<body>`. `tamper` changes what is sent after signing.
 */
export async function postInteraction(
  gatewayUrl: string,
  payload: unknown,
  options: {
    secret?: string;
    timestamp?: number;
    body?: string;
    headers?: Record<string, string>;
    tamper?: (body: string) => string;
  } = {},
): Promise<{ status: number; body: JsonBody }> {
  const body = options.body ?? formBody(payload);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = signSlackRequest(options.secret ?? SIGNING_SECRET, timestamp, body);
  const res = await fetch(`${gatewayUrl}/slack/interactions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature,
      ...options.headers,
    },
    body: options.tamper ? options.tamper(body) : body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
