import { CountersignError } from '@countersign/core';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../../http/json-depth.js';

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
      /** The clicked button's value (a batch button's item list). */
      value: string | undefined;
      triggerId: string | undefined;
      /** Where the clicked message is (for ephemeral answers). */
      channel: string | undefined;
      responseUrl: string | undefined;
    }
  | {
      type: 'view_submission';
      user: string;
      team: string | undefined;
      callbackId: string | undefined;
      privateMetadata: string | undefined;
      state: unknown;
      channel?: undefined;
      responseUrl?: undefined;
    }
  | {
      /** Ours, but with an id Slack never sends (a lone surrogate, a wrong shape): not acted on. */
      type: 'malformed';
      kind: 'block_actions' | 'view_submission';
      problem: string;
      user: string | undefined;
      team: string | undefined;
      channel: string | undefined;
      responseUrl: string | undefined;
    }
  | { type: 'other'; kind: string };

/** Slack ids (users, teams, conversations) are short upper-case alphanumerics. */
const SLACK_ID = /^[A-Z0-9]{1,40}$/;
/** Payload strings are JSON, which may carry lone surrogates; those cannot be sent back. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The `payload` form field of an HTTP interaction, as JSON. */
export function parseInteractionForm(raw: Buffer): unknown {
  const payload = new URLSearchParams(raw.toString('utf8')).get('payload');
  if (payload === null) {
    throw new CountersignError('invalid_request', 'no payload field in the Slack request');
  }
  // The API body's depth limit (http/json-depth.ts), here too: the signature proves the
  // request came from Slack, not that the JSON inside is shaped as Slack shapes it.
  if (jsonDepthExceeds(payload, MAX_JSON_DEPTH)) {
    throw new CountersignError(
      'invalid_request',
      `the Slack payload nests deeper than ${MAX_JSON_DEPTH} levels`,
      { max_depth: MAX_JSON_DEPTH },
    );
  }
  try {
    return JSON.parse(payload) as unknown;
  } catch {
    throw new CountersignError('malformed_json', 'the Slack payload is not JSON');
  }
}

export function readInteraction(payload: unknown): SlackInteraction {
  const type = str(payload, 'type');
  if (type !== 'block_actions' && type !== 'view_submission') {
    return { type: 'other', kind: type ?? 'unknown' };
  }
  const rawUser = str(payload, 'user', 'id');
  const rawTeam = str(payload, 'team', 'id') ?? str(payload, 'user', 'team_id');
  const rawChannel = str(payload, 'channel', 'id') ?? str(payload, 'container', 'channel_id');
  const rawUrl = str(payload, 'response_url');
  const id = (v: string | undefined) => (v !== undefined && SLACK_ID.test(v) ? v : undefined);
  const user = id(rawUser);
  const team = id(rawTeam);
  const channel = id(rawChannel);
  const responseUrl = rawUrl !== undefined && !LONE_SURROGATE.test(rawUrl) ? rawUrl : undefined;
  const problems = [
    user === undefined && 'user.id',
    rawTeam !== undefined && team === undefined && 'team.id',
    rawChannel !== undefined && channel === undefined && 'channel.id',
    rawUrl !== undefined && responseUrl === undefined && 'response_url',
  ].filter((p): p is string => p !== false);
  // Sent back to Slack as they are: a lone surrogate fails to encode ("URI malformed").
  const first: unknown = get(payload, 'actions', '0');
  for (const [name, v] of [
    ['trigger_id', str(payload, 'trigger_id')],
    ['action_id', str(first, 'action_id')],
    ['value', str(first, 'value')],
  ] as const) {
    if (v !== undefined && LONE_SURROGATE.test(v)) problems.push(name);
  }
  if (problems.length > 0 || user === undefined) {
    return {
      type: 'malformed',
      kind: type,
      problem: [...new Set(problems)].join(', '),
      user,
      team,
      channel,
      responseUrl,
    };
  }
  if (type === 'block_actions') {
    // Countersign's messages have one actions block and a click is one action.
    return {
      type,
      user,
      team,
      actionId: str(first, 'action_id'),
      value: str(first, 'value'),
      triggerId: str(payload, 'trigger_id'),
      channel,
      responseUrl,
    };
  }
  return {
    type,
    user,
    team,
    callbackId: str(payload, 'view', 'callback_id'),
    privateMetadata: str(payload, 'view', 'private_metadata'),
    state: get(payload, 'view', 'state'),
  };
}

/** The value at `path` inside plain objects (and arrays, for an index), or undefined. */
export function get(value: unknown, ...path: string[]): unknown {
  let at = value;
  for (const key of path) {
    if (Array.isArray(at)) {
      at = /^\d+$/.test(key) ? (at as unknown[])[Number(key)] : undefined;
      continue;
    }
    if (typeof at !== 'object' || at === null) return undefined;
    at = Object.hasOwn(at, key) ? (at as Record<string, unknown>)[key] : undefined;
  }
  return at;
}

/** A string at `path` (at most 4000 characters: nothing Slack sends us is longer). */
export function str(value: unknown, ...path: string[]): string | undefined {
  const s = get(value, ...path);
  return typeof s === 'string' && s.length <= 4000 ? s : undefined;
}
