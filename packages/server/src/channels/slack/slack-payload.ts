import { CountersignError } from '@countersign/core';

/**
 * The parts of Slack's interaction payloads Countersign acts on
 * (https://docs.slack.dev/reference/interaction-payloads/block_actions-payload and
 * view_submission-payload). Payloads arrive after the signature check, but their structure is
 * still read defensively: a missing or mistyped field is `undefined`, never an exception.
 */
export type SlackInteraction =
  | {
      type: 'block_actions';
      user: string;
      team: string | undefined;
      actionId: string | undefined;
      triggerId: string | undefined;
      /** Where the clicked message is (for ephemeral answers). */
      channel: string | undefined;
    }
  | {
      type: 'view_submission';
      user: string;
      team: string | undefined;
      callbackId: string | undefined;
      privateMetadata: string | undefined;
      state: unknown;
    }
  | { type: 'other'; kind: string };

/** The `payload` form field of an HTTP interaction, as JSON. */
export function parseInteractionForm(raw: Buffer): unknown {
  const payload = new URLSearchParams(raw.toString('utf8')).get('payload');
  if (payload === null) {
    throw new CountersignError('invalid_request', 'no payload field in the Slack request');
  }
  try {
    return JSON.parse(payload) as unknown;
  } catch {
    throw new CountersignError('malformed_json', 'the Slack payload is not JSON');
  }
}

export function readInteraction(payload: unknown): SlackInteraction {
  const type = str(payload, 'type');
  const user = str(payload, 'user', 'id');
  const team = str(payload, 'team', 'id') ?? str(payload, 'user', 'team_id');
  if (type === 'block_actions' && user !== undefined) {
    const actions = get(payload, 'actions');
    // Countersign's messages have one actions block and a click is one action.
    const first: unknown = Array.isArray(actions) ? actions[0] : undefined;
    return {
      type,
      user,
      team,
      actionId: str(first, 'action_id'),
      triggerId: str(payload, 'trigger_id'),
      channel: str(payload, 'channel', 'id') ?? str(payload, 'container', 'channel_id'),
    };
  }
  if (type === 'view_submission' && user !== undefined) {
    return {
      type,
      user,
      team,
      callbackId: str(payload, 'view', 'callback_id'),
      privateMetadata: str(payload, 'view', 'private_metadata'),
      state: get(payload, 'view', 'state'),
    };
  }
  return { type: 'other', kind: type ?? 'unknown' };
}

/** The value at `path` inside plain objects, or undefined. */
export function get(value: unknown, ...path: string[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || Array.isArray(at)) return undefined;
    at = Object.hasOwn(at, key) ? (at as Record<string, unknown>)[key] : undefined;
  }
  return at;
}

/** A string at `path` (at most 4000 characters: nothing Slack sends us is longer). */
export function str(value: unknown, ...path: string[]): string | undefined {
  const s = get(value, ...path);
  return typeof s === 'string' && s.length <= 4000 ? s : undefined;
}
