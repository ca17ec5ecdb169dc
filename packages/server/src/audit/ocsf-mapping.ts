import type { AuditEntry } from '@countersign/core';
import { agentUser, ocsfActor } from './ocsf-actor.js';
import {
  AUTHENTICATION,
  BASE_EVENT,
  ENTITY_MANAGEMENT,
  USER_ACCESS_MANAGEMENT,
  type OcsfClass,
} from './ocsf-classes.js';

/** What the log knows about the request an entry is about, from that request's own entries. */
export interface RequestContext {
  /** The agent that submitted it (the actor of its `action.submitted`). */
  agent?: string;
  action?: string;
  resource?: string;
  environment?: string;
  /** Who approved it (its `grant.issued`), once approved. */
  approvers?: string[];
}

export type Json = Record<string, unknown>;
/** The OCSF `disposition_id`s used for decisions (security_control profile). */
const DISPOSITION = { allowed: 1, blocked: 2, approved: 8, delayed: 14, rejected: 25 } as const;
/** OCSF `action_id` (security_control profile). */
const ALLOWED = 1;
const DENIED = 2;
/** OCSF `status_id`. */
const SUCCESS = 1;
const FAILURE = 2;
/** OCSF `severity_id`. */
export const INFORMATIONAL = 1;
const LOW = 2;
const HIGH = 4;

export interface Mapped {
  cls: OcsfClass;
  activity_id: number;
  activity_name?: string;
  severity_id?: number;
  /** The agent the event is about, for the ai_operation profile's `ai_agent`. */
  ai_agent?: string | undefined;
  approvers?: string[];
  /** Class-specific attributes. */
  fields: Json;
}

/**
 * The class, activity and class-specific attributes of one entry, by its type (the table in
 * docs/ocsf.md); a type not listed is a Base Event, so a newer gateway's types stay valid.
 */
export function mapEntry(entry: AuditEntry, data: Json, request: RequestContext): Mapped {
  const agent = entry.actor?.kind === 'agent' ? entry.actor.id : request.agent;
  const requestEntity = (): Json => ({
    uid: entry.request_id ?? 'unknown',
    type: 'Approval Request',
    ...(request.action ? { name: request.action } : {}),
    data: {
      ...(request.resource ? { resource: request.resource } : {}),
      ...(request.environment ? { environment: request.environment } : {}),
      ...(agent ? { agent } : {}),
    },
  });
  const onRequest = (activity_id: number, fields: Json = {}, extra: Partial<Mapped> = {}) => ({
    cls: ENTITY_MANAGEMENT,
    activity_id,
    ai_agent: agent,
    ...extra,
    fields: { entity: requestEntity(), ...fields },
  });
  const status = (ok: boolean, detail?: unknown): Json => ({
    status_id: ok ? SUCCESS : FAILURE,
    status: ok ? 'Success' : 'Failure',
    ...(typeof detail === 'string' ? { status_detail: detail } : {}),
  });
  const decision = (action_id: number, disposition_id: number, disposition: string): Json => ({
    action_id,
    action: action_id === ALLOWED ? 'Allowed' : 'Denied',
    disposition_id,
    disposition,
  });
  const entity = (fields: Json, activity_id = 3, extra: Json = {}): Mapped => ({
    cls: ENTITY_MANAGEMENT,
    activity_id,
    fields: { entity: fields, ...extra },
  });

  switch (entry.type) {
    case 'action.submitted': {
      const submitted: Json = {
        uid: entry.request_id ?? 'unknown',
        type: 'Approval Request',
        ...(typeof data.action === 'string' ? { name: data.action } : {}),
        data: {
          resource: data.resource,
          environment: data.environment,
          digest: data.digest,
          ...(agent ? { agent } : {}),
        },
      };
      const comment = typeof data.justification === 'string' ? { comment: data.justification } : {};
      return { ...onRequest(1, comment), fields: { entity: submitted, ...comment } };
    }
    case 'action.decided_by_policy': {
      const fields: Json = {
        ...(typeof data.policy_version === 'string'
          ? {
              policy: {
                uid: data.policy_version,
                name: 'countersign policy',
                ...(Array.isArray(data.rules) ? { desc: `rules: ${data.rules.join(', ')}` } : {}),
              },
            }
          : {}),
        ...(typeof data.reason === 'string' ? { status_detail: data.reason } : {}),
      };
      if (data.decision === 'allow') {
        return onRequest(3, { ...fields, ...decision(ALLOWED, DISPOSITION.allowed, 'Allowed') });
      }
      if (data.decision === 'deny') {
        return onRequest(3, { ...fields, ...decision(DENIED, DISPOSITION.blocked, 'Blocked') });
      }
      return onRequest(3, {
        ...fields,
        disposition_id: DISPOSITION.delayed,
        disposition: 'Delayed',
      });
    }
    case 'action.notified':
      return onRequest(99, status(data.status !== 'failed', data.error), {
        activity_name: 'Notify',
        severity_id: data.status === 'failed' ? LOW : INFORMATIONAL,
      });
    case 'action.vote_counted': {
      const comment = typeof data.comment === 'string' ? { comment: data.comment } : {};
      return onRequest(
        3,
        { ...comment, ...status(true) },
        {
          activity_name: 'Vote',
          severity_id: data.break_glass === true ? HIGH : INFORMATIONAL,
        },
      );
    }
    case 'action.vote_refused':
      return onRequest(
        3,
        {
          ...status(false),
          ...(typeof data.code === 'string' ? { status_code: data.code } : {}),
          ...decision(DENIED, DISPOSITION.rejected, 'Rejected'),
        },
        { activity_name: 'Vote', severity_id: LOW },
      );
    case 'action.batch_voted':
    case 'action.batch_refused': {
      // One reviewer's vote on several requests: the batch is the entity, its items by id (each
      // item's own vote is its `action.vote_counted`).
      const ok = entry.type === 'action.batch_voted';
      const items = Array.isArray(data.items)
        ? data.items.flatMap((i) => (isObject(i) && typeof i.id === 'string' ? [i.id] : []))
        : [];
      return {
        ...entity(
          {
            uid: typeof data.evidence === 'string' ? data.evidence : 'batch',
            type: 'Approval Batch',
            data: { items, vote: data.vote },
          },
          3,
          ok
            ? status(true)
            : {
                ...status(false),
                status_code: 'batch_changed',
                ...decision(DENIED, DISPOSITION.rejected, 'Rejected'),
              },
        ),
        activity_name: 'Vote Batch',
        ...(ok ? {} : { severity_id: LOW }),
      };
    }
    case 'action.escalated':
      return onRequest(3, { ...status(true, data.reason) }, { activity_name: 'Escalate' });
    case 'action.approved':
      return onRequest(3, decision(ALLOWED, DISPOSITION.approved, 'Approved'), {
        ...(request.approvers ? { approvers: request.approvers } : {}),
      });
    case 'action.denied':
      return onRequest(3, {
        ...decision(DENIED, DISPOSITION.rejected, 'Rejected'),
        ...reason(data),
      });
    case 'action.expired':
      return onRequest(3, { ...decision(DENIED, DISPOSITION.blocked, 'Blocked'), ...reason(data) });
    case 'action.cancelled':
      return onRequest(3, reason(data), { activity_name: 'Cancel' });
    case 'action.result_reported':
      return onRequest(3, status(data.outcome !== 'failed'), { activity_name: 'Report Result' });
    case 'grant.issued': {
      const approvers = stringList(data.approvers);
      return {
        cls: USER_ACCESS_MANAGEMENT,
        activity_id: 1,
        ai_agent: agent,
        approvers,
        fields: {
          user: agentUser(agent ?? 'unknown'),
          ...(request.action ? { privileges: [request.action] } : {}),
          ...(request.resource ? { resource: { name: request.resource, type: 'Resource' } } : {}),
          ...decision(ALLOWED, DISPOSITION.approved, 'Approved'),
        },
      };
    }
    case 'grant.redeemed':
      return {
        ...entity({ uid: str(data.jti), type: 'Grant' }, 3, status(true)),
        activity_name: 'Redeem',
        ai_agent: agent,
      };
    case 'policy.loaded':
      return entity({
        type_id: 5,
        type: 'Policy',
        name: str(data.file),
        policy: { uid: str(data.version), name: str(data.file), is_applied: true },
      });
    case 'policy.reload_refused':
      return {
        ...entity(
          { type_id: 5, type: 'Policy', name: str(data.file) },
          3,
          status(false, data.error),
        ),
        severity_id: LOW,
      };
    case 'token.created':
    case 'token.revoked':
      return tokenEvent(entry, data);
    case 'key.rotated':
      return entity({ uid: str(data.kid), type: 'Grant Signing Key' });
    case 'config.changed':
      return entity({ name: 'gateway configuration', type: 'Configuration' });
    case 'api.refused':
      return {
        cls: BASE_EVENT,
        activity_id: 99,
        activity_name: 'Refuse',
        severity_id: LOW,
        fields: {
          ...status(false),
          ...(typeof data.code === 'string' ? { status_code: data.code } : {}),
          action_id: DENIED,
          action: 'Denied',
          disposition_id: DISPOSITION.rejected,
          disposition: 'Rejected',
        },
      };
    default:
      // A type this table does not know (a newer gateway's): still a valid event, its data kept.
      return { cls: BASE_EVENT, activity_id: 99, activity_name: entry.type, fields: {} };
  }
}

/** Web sessions begin and end as Authentication; API tokens are entities. */
function tokenEvent(entry: AuditEntry, data: Json): Mapped {
  const principal = isObject(data.principal) ? data.principal : undefined;
  const user =
    principal && typeof principal.id === 'string'
      ? principal.kind === 'agent'
        ? agentUser(principal.id)
        : { uid: principal.id, name: principal.id, type_id: 1, type: 'User' }
      : undefined;
  const session = 'login_link' in data || 'idp' in data;
  if (entry.type === 'token.created' && session && user) {
    return {
      cls: AUTHENTICATION,
      activity_id: 1,
      fields: {
        user,
        service: { name: 'countersign' },
        session: { uid: str(data.token_id) },
        status_id: SUCCESS,
        status: 'Success',
      },
    };
  }
  if (entry.type === 'token.revoked' && data.reason === 'logout') {
    return {
      cls: AUTHENTICATION,
      activity_id: 2,
      fields: {
        user: ocsfActor(entry.actor).user,
        service: { name: 'countersign' },
        session: { uid: str(data.token_id) },
        status_id: SUCCESS,
        status: 'Success',
      },
    };
  }
  return {
    cls: ENTITY_MANAGEMENT,
    activity_id: entry.type === 'token.created' ? 1 : 4,
    fields: {
      entity: {
        uid: str(data.token_id),
        type: 'API Token',
        ...(user ? { user } : {}),
      },
    },
  };
}

const reason = (data: Json): Json =>
  typeof data.reason === 'string' ? { status_detail: data.reason } : {};
const str = (value: unknown) => (typeof value === 'string' ? value : 'unknown');
const stringList = (value: unknown) =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
