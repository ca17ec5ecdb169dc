import { CountersignError } from '@countersign/core';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../../http/json-depth.js';
import { loadTeamsSdk } from './teams-sdk.js';

/**
 * The parts of an incoming Bot Framework activity Countersign acts on
 * (https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-api-reference#activity-object).
 */
export interface TeamsActivity {
  type: string;
  name: string | undefined;
  channelId: string | undefined;
  serviceUrl: string | undefined;
  from: { id: string | undefined; name: string | undefined; aadObjectId: string | undefined };
  conversationId: string | undefined;
  /** `channelData.team.id` in a team channel: the id its roster is looked up by. */
  teamId: string | undefined;
  /** `conversation.tenantId`, else Teams' `channelData.tenant.id`. */
  tenantId: string | undefined;
  value: unknown;
}

/** What an `Action.Execute` click carries: its verb, its data, and the card's inputs. */
export interface CardAction {
  verb: string | undefined;
  actionId: string | undefined;
  /** The comment input; `null` when one was sent but is not text or is too long. */
  comment: string | undefined | null;
  /** A batch button's items; `null` when sent but not as Countersign writes them. */
  items?: { id: string; digest: string }[] | null;
}

/**
 * Parses the body after the token check. The activity is validated against the Agents SDK's
 * schema (`Activity.fromObject`), then read defensively: the structure is Microsoft's, but the
 * values inside `value` and `channelData` come from a client, so a missing or mistyped field
 * is `undefined`, and anything that cannot be read fails only with our error.
 */
export async function parseActivity(raw: string): Promise<TeamsActivity> {
  // The API body's depth limit (http/json-depth.ts), here too: a valid token proves the
  // activity came through the Bot Connector, not that its `value` or `channelData` are shallow.
  if (jsonDepthExceeds(raw, MAX_JSON_DEPTH)) {
    throw new CountersignError(
      'invalid_request',
      `the activity nests deeper than ${MAX_JSON_DEPTH} levels`,
      { max_depth: MAX_JSON_DEPTH },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new CountersignError('malformed_json', 'the activity is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CountersignError('invalid_request', 'the activity is not a JSON object');
  }
  const { activity: sdk } = await loadTeamsSdk();
  let a: InstanceType<typeof sdk.Activity>;
  try {
    a = sdk.Activity.fromObject(json);
  } catch {
    throw new CountersignError('invalid_request', 'the body is not a Bot Framework activity');
  }
  return {
    type: a.type,
    name: text(a.name),
    channelId: text(a.channelId),
    serviceUrl: text(a.serviceUrl),
    from: {
      id: text(a.from?.id),
      name: text(a.from?.name),
      aadObjectId: text(a.from?.aadObjectId),
    },
    conversationId: text(a.conversation?.id),
    teamId: str(a.channelData, 'team', 'id'),
    tenantId: text(a.conversation?.tenantId) ?? str(a.channelData, 'tenant', 'id'),
    value: a.value,
  };
}

/** `value` of an `adaptiveCard/action` invoke (Universal Actions request format). */
export function readCardAction(value: unknown): CardAction {
  const type = str(value, 'action', 'type');
  const comment = get(value, 'action', 'data', 'comment');
  return {
    verb: type === 'Action.Execute' ? str(value, 'action', 'verb') : undefined,
    actionId: str(value, 'action', 'data', 'action_id'),
    ...batchItemsOf(value),
    comment:
      comment === undefined
        ? undefined
        : typeof comment === 'string' && comment.length <= 4000
          ? comment
          : null,
  };
}

/** `{items}` when the click carries `data.items`, else nothing. */
function batchItemsOf(value: unknown): { items?: { id: string; digest: string }[] | null } {
  const items = batchItems(get(value, 'action', 'data', 'items'));
  return items === undefined ? {} : { items };
}

/**
 * A batch button's `data.items` (teams-batch-card.ts): 2 to 50 `{id, digest}` of the shapes
 * Countersign writes, or undefined (`null` when present but not ours: refused, never guessed).
 */
function batchItems(v: unknown): { id: string; digest: string }[] | null | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length < 2 || v.length > 50) return null;
  const items = v.map((i: unknown) => ({ id: str(i, 'id'), digest: str(i, 'digest') }));
  const ok = items.every(
    (i) =>
      i.id !== undefined &&
      /^act_[0-9a-z]{1,60}$/.test(i.id) &&
      i.digest !== undefined &&
      /^sha256:[0-9a-f]{64}$/.test(i.digest),
  );
  return ok ? (items as { id: string; digest: string }[]) : null;
}

/** The value at `path` inside plain objects (own properties only), or undefined. */
function get(value: unknown, ...path: string[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || Array.isArray(at)) return undefined;
    at = Object.hasOwn(at, key) ? (at as Record<string, unknown>)[key] : undefined;
  }
  return at;
}

function str(value: unknown, ...path: string[]): string | undefined {
  return text(get(value, ...path));
}

/** A non-empty string of at most 2000 characters: nothing we read from Teams is longer. */
function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= 2000 ? v : undefined;
}
