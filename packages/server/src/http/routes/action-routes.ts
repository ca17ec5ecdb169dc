import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CountersignError,
  DEFAULT_ENVIRONMENT,
  parseDuration,
  type StandingAsk,
  type ActionRecord,
  type JsonValue,
  type Vote,
} from '@countersign/core';
import type { AppDeps } from '../app.js';
import { principalOf } from '../auth-hook.js';
import { actionView } from '../../views/action-view.js';
import {
  ActionList,
  ActionRequestBody,
  ActionView,
  eventStream,
  IdParams,
  ListQuery,
  Problem,
  ResultBody,
  VoteAnswer,
  VoteBody,
  WaitQuery,
} from '../schemas.js';
import { standingView } from '../../views/standing-view.js';
import type { Principal } from '../../auth/principal.js';
import { streamActionEvents } from '../sse.js';

const problems = { '4xx': Problem, '5xx': Problem };
const security = [{ bearer: [] }];

/** The agent API and the reviewer inbox (PRODUCT.md, "Interfaces"). */
export const actionRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    /** The record with its votes; the grant only for the requesting agent. */
    const view = async (principal: Principal, record: ActionRecord, votes?: Vote[]) =>
      actionView(record, {
        votes: votes ?? (await deps.actions.votes(record.id)),
        withGrant: principal.kind === 'agent' && principal.id === record.agent_id,
        owners: deps.directory.agent(record.agent_id)?.owners,
      });

    app.post(
      '/v1/actions',
      {
        config: { auth: 'agent' },
        schema: {
          operationId: 'submitAction',
          summary: 'Submit an action for a decision',
          tags: ['agent'],
          security,
          body: ActionRequestBody,
          response: { 200: ActionView, 201: ActionView, ...problems },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const { record, created } = await deps.actions.submit(
          principalOf(request),
          {
            ...body,
            environment: body.environment ?? DEFAULT_ENVIRONMENT,
            params: (body.params ?? {}) as Record<string, JsonValue>,
            context: body.context as Record<string, JsonValue> | undefined,
          },
          request.headers,
        );
        reply.header('location', `/v1/actions/${record.id}`);
        if (!created) reply.header('idempotent-replayed', 'true');
        return reply
          .code(created ? 201 : 200)
          .send(await view(principalOf(request), record, created ? [] : undefined));
      },
    );

    app.get(
      '/v1/actions/:id',
      {
        config: { auth: 'agent_or_user' },
        schema: {
          operationId: 'getAction',
          summary: 'Read a request with its decision and state',
          tags: ['agent', 'reviewer'],
          security,
          params: IdParams,
          response: { 200: ActionView, ...problems },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        return view(principal, await deps.actions.get(principal, request.params.id));
      },
    );

    app.get(
      '/v1/actions/:id/wait',
      {
        config: { auth: 'agent' },
        schema: {
          operationId: 'waitForAction',
          summary: 'Long-poll until the request is no longer pending, or the timeout passes',
          description: `timeout in seconds (default 30, at most ${deps.maxWaitSeconds}). Returns the record either way: check status.`,
          tags: ['agent'],
          security,
          params: IdParams,
          querystring: WaitQuery,
          response: { 200: ActionView, ...problems },
        },
      },
      async (request, reply) => {
        const seconds = Math.min(request.query.timeout ?? 30, deps.maxWaitSeconds);
        const aborted = new AbortController();
        reply.raw.once('close', () => aborted.abort());
        const principal = principalOf(request);
        const record = await deps.actions.wait(
          principal,
          request.params.id,
          seconds * 1000,
          aborted.signal,
        );
        return view(principal, record);
      },
    );

    app.get(
      '/v1/actions/:id/events',
      {
        config: { auth: 'agent_or_user' },
        schema: {
          operationId: 'streamActionEvents',
          summary: 'Server-sent events: the record now, then on every change until it is final',
          tags: ['agent', 'reviewer'],
          security,
          params: IdParams,
          response: {
            200: eventStream(
              '`event: action` with the request as JSON now and on every change; the stream ends after a final state',
            ),
            ...problems,
          },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const record = await deps.actions.get(principal, request.params.id);
        streamActionEvents(request, reply, record, deps.actions, (r) => view(principal, r));
        return reply;
      },
    );

    app.post(
      '/v1/actions/:id/cancel',
      {
        config: { auth: 'agent' },
        schema: {
          operationId: 'cancelAction',
          summary: 'Cancel a pending request',
          description: 'Optional JSON body: {"reason": "..."}',
          tags: ['agent'],
          security,
          params: IdParams,
          response: { 200: ActionView, ...problems },
        },
      },
      async (request) => {
        // The body is optional, so it is checked here rather than by a schema.
        const body: unknown = request.body;
        let reason: string | undefined;
        if (body !== undefined && body !== null) {
          const r = (body as { reason?: unknown }).reason;
          const keys = typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : null;
          if (
            !keys ||
            keys.some((k) => k !== 'reason') ||
            (r !== undefined && typeof r !== 'string') ||
            (typeof r === 'string' && r.length > 2000)
          ) {
            throw new CountersignError(
              'invalid_request',
              'expected an optional body {"reason": string}',
            );
          }
          reason = r;
        }
        const principal = principalOf(request);
        return view(principal, await deps.actions.cancel(principal, request.params.id, reason));
      },
    );

    app.post(
      '/v1/actions/:id/result',
      {
        config: { auth: 'agent' },
        schema: {
          operationId: 'reportActionResult',
          summary: 'Report the outcome of an approved action',
          tags: ['agent'],
          security,
          params: IdParams,
          body: ResultBody,
          response: { 200: ActionView, ...problems },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const record = await deps.actions.reportResult(
          principal,
          request.params.id,
          request.body.outcome,
          request.body.detail as JsonValue | undefined,
        );
        return view(principal, record);
      },
    );

    app.post(
      '/v1/actions/:id/votes',
      {
        config: { auth: 'user' },
        schema: {
          operationId: 'voteOnAction',
          summary: 'Approve or deny a request',
          description:
            'Counted once per person. A deny ends the request; approvals accumulate to the quorum. ' +
            'break_glass (with a comment) force-approves, for users a rule names. ' +
            'standing (with an approval) also approves the same kind of action ahead of time: ' +
            '{"uses": N} or {"when": CEL, "for": "4h", "max_uses"?: N} (docs/fatigue.md).',
          tags: ['reviewer'],
          security,
          params: IdParams,
          body: VoteBody,
          response: { 200: VoteAnswer, ...problems },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const outcome = await deps.votes.vote(principal, request.params.id, {
          vote: request.body.vote,
          comment: request.body.comment,
          break_glass: request.body.break_glass,
          standing: standingAsk(request.body.standing),
          // Set by how the caller authenticated, never by a header the client writes.
          channel: principal.via === 'session' ? 'web' : 'api',
        });
        const answer = await view(principal, outcome.record, outcome.votes);
        if (!outcome.standing_approval) return answer;
        const at = (deps.now ?? Date.now)();
        return { ...answer, standing_approval: standingView(outcome.standing_approval, at) };
      },
    );

    app.get(
      '/v1/actions',
      {
        config: { auth: 'user' },
        schema: {
          operationId: 'listActions',
          summary: 'List requests this user may review (all requests for admins)',
          tags: ['reviewer'],
          security,
          querystring: ListQuery,
          response: { 200: ActionList, ...problems },
        },
      },
      async (request) => {
        const q = request.query;
        const page = await deps.actions.list(principalOf(request), {
          status: q.status,
          agent_id: q.agent,
          action: q.action,
          environment: q.environment,
          created_after: q.since === undefined ? undefined : Date.parse(q.since),
          created_before: q.until === undefined ? undefined : Date.parse(q.until),
          before_id: q.cursor,
          break_glass: q.break_glass,
          limit: q.limit ?? 50,
        });
        const principal = principalOf(request);
        const items = await Promise.all(page.items.map((r) => view(principal, r)));
        return { items, next_cursor: page.next_cursor };
      },
    );
  };

/** The vote body's `standing`, with `for` read as a duration. */
function standingAsk(
  body: { uses: number } | { when: string; for: string; max_uses?: number } | undefined,
): StandingAsk | undefined {
  if (body === undefined) return undefined;
  if ('uses' in body) return { kind: 'digest', uses: body.uses };
  const ms = parseDuration(body.for);
  if (ms === undefined) {
    throw new CountersignError(
      'invalid_request',
      'standing.for must be a duration such as 30m, 4h or 1d',
    );
  }
  return { kind: 'condition', when: body.when, for_ms: ms, max_uses: body.max_uses };
}
