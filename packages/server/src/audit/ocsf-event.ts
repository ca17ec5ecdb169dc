import type { AuditEntry } from '@countersign/core';
import {
  AUTHENTICATION,
  BASE_EVENT,
  ENTITY_MANAGEMENT,
  USER_ACCESS_MANAGEMENT,
  type OcsfClass,
} from './ocsf-classes.js';

/** The OCSF schema version the export follows (docs/ocsf.md). */
export const OCSF_VERSION = '1.9.0';

/** The checkpoint that first includes an entry: the proof a SIEM can keep beside the event. */
export interface CoveringCheckpoint {
  origin: string;
  size: number;
  root_hash: string;
  /** The C2SP signed note, verbatim. */
  note: string;
}

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

export interface OcsfInput {
  /** The entry's exact text: the leaf bytes. */
  text: string;
  leafHash: string;
  checkpoint: CoveringCheckpoint;
  request?: RequestContext | undefined;
  productVersion: string;
}

type Json = Record<string, unknown>;
/** The OCSF `disposition_id`s used for decisions (security_control profile). */
const DISPOSITION = { allowed: 1, blocked: 2, approved: 8, delayed: 14, rejected: 25 } as const;
/** OCSF `action_id` (security_control profile). */
const ALLOWED = 1;
const DENIED = 2;
/** OCSF `status_id`. */
const SUCCESS = 1;
const FAILURE = 2;
/** OCSF `severity_id`. */
const INFORMATIONAL = 1;
const LOW = 2;
const HIGH = 4;

/**
 * One audit entry as an OCSF 1.9 event (docs/ocsf.md): the class and activity chosen by its
 * type (unknown types fall back to Base Event), the actor, and the record-integrity evidence.
 * The entry is data from the log, parsed as untrusted JSON: every field is read defensively, and
 * agent-controlled text (action, resource, params, justification, comments) only ever lands in
 * string-typed fields, never in `message`, which is built from our own words and identifiers.
 */
export function toOcsfEvent(input: OcsfInput): Json {
  const entry = JSON.parse(input.text) as AuditEntry;
  const data = (isObject(entry.data) ? entry.data : {}) as Json;
  const mapped = mapEntry(entry, data, input.request ?? {});
  const cls = mapped.cls;
  const activity_id = mapped.activity_id;
  // ai_agent exists only where the class takes the AI Operation profile (the IAM classes).
  const aiAgent = cls.profiles.includes('ai_operation') ? mapped.ai_agent : undefined;
  const profiles = cls.profiles.filter((p) => p !== 'ai_operation' || aiAgent);
  const event: Json = {
    class_uid: cls.class_uid,
    class_name: cls.class_name,
    category_uid: cls.category_uid,
    category_name: cls.category_name,
    activity_id,
    activity_name: mapped.activity_name ?? cls.activities[activity_id],
    type_uid: cls.class_uid * 100 + activity_id,
    type_name: `${cls.class_name}: ${mapped.activity_name ?? cls.activities[activity_id]}`,
    time: Date.parse(entry.at),
    severity_id: mapped.severity_id ?? INFORMATIONAL,
    message: summary(entry),
    actor: ocsfActor(entry.actor),
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'Countersign', vendor_name: 'Countersign', version: input.productVersion },
      profiles,
      uid: `${input.checkpoint.origin}#${entry.index}`,
      sequence: entry.index,
      event_code: entry.type,
      log_name: input.checkpoint.origin,
      log_provider: 'countersign-audit-log',
      log_version: String(entry.v),
      original_time: entry.at,
      ...(entry.request_id ? { correlation_uid: entry.request_id } : {}),
    },
    // The leaf bytes, verbatim: SHA-256(0x00 ‖ raw_data) is the leaf hash (docs/audit.md).
    raw_data: input.text,
    unmapped: {
      countersign: {
        type: entry.type,
        index: entry.index,
        prev: entry.prev,
        leaf_hash: input.leafHash,
        checkpoint: input.checkpoint,
        ...(entry.request_id ? { request_id: entry.request_id } : {}),
        ...(input.request?.agent ? { agent: input.request.agent } : {}),
        ...(mapped.approvers ? { approvers: mapped.approvers } : {}),
        data,
      },
    },
    ...mapped.fields,
  };
  if (aiAgent) event.ai_agent = { uid: aiAgent, name: aiAgent };
  return event;
}

interface Mapped {
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

function mapEntry(entry: AuditEntry, data: Json, request: RequestContext): Mapped {
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

/**
 * `message`, what a SIEM shows in a list: our words and identifiers the gateway assigned or an
 * operator configured, never the agent's text nor an anonymous caller's address (which a proxy
 * header may have supplied).
 */
function summary(entry: AuditEntry): string {
  const on = entry.request_id ? ` on ${entry.request_id}` : '';
  const by =
    entry.actor?.kind === 'anonymous'
      ? 'an anonymous caller'
      : `${entry.actor?.kind} ${entry.actor?.id}`;
  return `${entry.type}${on} by ${by}`;
}

/** The entry's actor as an OCSF actor: always a `user` (the agent, a person, the gateway). */
function ocsfActor(actor: AuditEntry['actor']): { user: Json; app_name?: string } {
  const id = typeof actor?.id === 'string' ? actor.id : 'unknown';
  switch (actor?.kind) {
    case 'agent':
      return { user: agentUser(id) };
    case 'user':
      return { user: { uid: id, name: id, type_id: 1, type: 'User' } };
    case 'system':
      return { user: { uid: id, name: id, type_id: 3, type: 'System' }, app_name: 'Countersign' };
    default:
      return { user: { uid: id, name: id, type_id: 0, type: 'Unknown' } };
  }
}

/** OCSF has no user type for an AI agent: `Other`, named, and `ai_agent` beside it. */
const agentUser = (id: string): Json => ({ uid: id, name: id, type_id: 99, type: 'AI Agent' });

const reason = (data: Json): Json =>
  typeof data.reason === 'string' ? { status_detail: data.reason } : {};
const str = (value: unknown) => (typeof value === 'string' ? value : 'unknown');
const stringList = (value: unknown) =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
