import { STATUSES, isJsonObject, type Status } from '@countersign/core';
import { McpProxyError } from './mcp-proxy-error.js';

/** The part of the API's request record (docs/api.md, "The record") the proxy acts on. */
export interface GatewayRecord {
  id: string;
  status: Status;
  reason: string;
  /** One paragraph for the model: the decision, who made it, every reviewer's comment. */
  message: string;
  /** RFC 3339, or null when the request never expires (it is already final). */
  expires_at: string | null;
  /** The signed grant once approved; shown to the requesting agent only. */
  grant: { token: string } | null;
}

const isStatus = (v: unknown): v is Status => STATUSES.some((s) => s === v);

/**
 * Reads a record off the wire. Whether to run a tool hangs on `status`, so a body that does not
 * carry one we know is an error (and the call is refused), never a guess.
 */
export function readGatewayRecord(body: unknown): GatewayRecord {
  const bad = (what: string) =>
    new McpProxyError('gateway_malformed', `the gateway answered with a record ${what}`);
  if (!isJsonObject(body)) throw bad('that is not a JSON object');
  const { id, status, reason, message, expires_at, grant } = body;
  if (typeof id !== 'string' || id === '') throw bad('without an id');
  if (!isStatus(status)) throw bad(`with an unknown status ${JSON.stringify(status)}`);
  const token = isJsonObject(grant) && typeof grant.token === 'string' ? grant.token : null;
  return {
    id,
    status,
    reason: typeof reason === 'string' ? reason : '',
    message: typeof message === 'string' && message !== '' ? message : `request ${id} is ${status}`,
    expires_at: typeof expires_at === 'string' ? expires_at : null,
    grant: token === null ? null : { token },
  };
}
