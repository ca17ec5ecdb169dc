import type { AuditEntry } from '@countersign/core';
import { ocsfActor } from './ocsf-actor.js';
import {
  INFORMATIONAL,
  isObject,
  mapEntry,
  type Json,
  type RequestContext,
} from './ocsf-mapping.js';

export type { RequestContext } from './ocsf-mapping.js';

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

export interface OcsfInput {
  /** The entry's exact text: the leaf bytes. */
  text: string;
  leafHash: string;
  checkpoint: CoveringCheckpoint;
  request?: RequestContext | undefined;
  productVersion: string;
}

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
