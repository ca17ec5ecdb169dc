import type { FastifyRequest } from 'fastify';
import type { CountersignError } from '@countersign/core';
import { apiRefused, type AuditEvent } from './audit-events.js';
import { alreadyAudited } from '../actions/vote-refusal.js';

/**
 * Turns API refusals into `api.refused` audit entries: evidence of attempts (a revoked token
 * still in use, an agent probing reviewer endpoints). Refusals by an authenticated principal
 * are always recorded; anonymous ones (no or unknown token, malformed input before
 * authentication) at most `anonymousPerSecond`, so junk traffic cannot flood the log.
 */
export function refusalRecorder(
  record: (events: AuditEvent[]) => Promise<void>,
  onError: (e: unknown) => void,
  anonymousPerSecond = 10,
) {
  let windowStart = 0;
  let inWindow = 0;
  return async (request: FastifyRequest, problem: CountersignError): Promise<void> => {
    // A refused vote is recorded with the vote itself (action.vote_refused); not twice.
    if (alreadyAudited(problem)) return;
    const principal = request.principal;
    if (!principal) {
      const now = Date.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        inWindow = 0;
      }
      if (++inWindow > anonymousPerSecond) return;
    }
    const id = (request.params as { id?: unknown } | undefined)?.id;
    await record([
      apiRefused(
        principal
          ? { kind: principal.kind, id: principal.id }
          : { kind: 'anonymous', id: request.ip },
        typeof id === 'string' && id.startsWith('act_') ? id : undefined,
        {
          code: problem.code,
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          request_id: request.id,
        },
      ),
    ]).catch(onError);
  };
}
