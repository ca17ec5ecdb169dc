import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CountersignError } from '@countersign/core';
import type { StandingApprovals } from '../../actions/standing-approvals.js';
import { principalOf } from '../auth-hook.js';
import { standingView } from '../../views/standing-view.js';
import {
  IdParams,
  Problem,
  StandingApprovalView,
  StandingList,
  StandingListQuery,
} from '../schemas.js';

const problems = { '4xx': Problem, '5xx': Problem };
const security = [{ bearer: [] }];
const tags = ['reviewer'];

/**
 * Standing approvals (docs/fatigue.md, docs/api.md): list, show, endorse, revoke. People
 * only: an agent token is refused (403) before any of them runs. Created with a vote
 * (`POST /v1/actions/{id}/votes` with `standing`).
 */
export const standingRoutes =
  (standing: StandingApprovals, now: () => number = Date.now): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/v1/standing-approvals',
      {
        config: { auth: 'user' },
        schema: {
          operationId: 'listStandingApprovals',
          summary: 'List standing approvals this user may see (all for admins and auditors)',
          description: 'status: active (default), proposed, revoked, expired, exhausted or all.',
          tags,
          security,
          querystring: StandingListQuery,
          response: { 200: StandingList, ...problems },
        },
      },
      async (request) => {
        const items = await standing.list(principalOf(request), {
          status: request.query.status ?? 'active',
          agent: request.query.agent,
        });
        const at = now();
        return { items: items.map((sa) => standingView(sa, at)) };
      },
    );

    app.get(
      '/v1/standing-approvals/:id',
      {
        config: { auth: 'user' },
        schema: {
          operationId: 'getStandingApproval',
          summary: 'A standing approval, with the requests it approved (uses_log)',
          tags,
          security,
          params: IdParams,
          response: { 200: StandingApprovalView, ...problems },
        },
      },
      async (request) => {
        const { sa, uses } = await standing.get(principalOf(request), request.params.id);
        return standingView(sa, now(), uses);
      },
    );

    app.post(
      '/v1/standing-approvals/:id/endorse',
      {
        config: { auth: 'user' },
        schema: {
          operationId: 'endorseStandingApproval',
          summary: 'Stand behind a proposed standing approval; active once the quorum is met',
          tags,
          security,
          description: 'Optional JSON body: {"comment": "..."}',
          params: IdParams,
          response: { 200: StandingApprovalView, ...problems },
        },
      },
      async (request) => {
        optionalBody(request.body, 'comment', 4000);
        const principal = principalOf(request);
        const sa = await standing.endorse(
          principal,
          request.params.id,
          principal.via === 'session' ? 'web' : 'api',
        );
        return standingView(sa, now());
      },
    );

    app.post(
      '/v1/standing-approvals/:id/revoke',
      {
        config: { auth: 'user' },
        schema: {
          operationId: 'revokeStandingApproval',
          summary: 'Revoke a standing approval (idempotent)',
          description:
            'Admins, its endorsers, and reviewers who could endorse it. Optional JSON body: {"reason": "..."}',
          tags,
          security,
          params: IdParams,
          response: { 200: StandingApprovalView, ...problems },
        },
      },
      async (request) => {
        const reason = optionalBody(request.body, 'reason', 2000)?.trim() || null;
        const sa = await standing.revoke(principalOf(request), request.params.id, reason);
        return standingView(sa, now());
      },
    );
  };

/** An optional body `{key?: string}` (checked here, as the cancel route does, since it may be absent). */
function optionalBody(body: unknown, key: string, max: number): string | undefined {
  if (body === undefined || body === null) return undefined;
  const keys = typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : null;
  const value = keys ? (body as Record<string, unknown>)[key] : undefined;
  if (
    !keys ||
    keys.some((k) => k !== key) ||
    (value !== undefined && (typeof value !== 'string' || value.length > max))
  ) {
    throw new CountersignError('invalid_request', `expected an optional body {"${key}": string}`);
  }
  return value;
}
