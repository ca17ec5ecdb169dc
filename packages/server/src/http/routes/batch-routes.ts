import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { BATCH_MAX_ITEMS, BATCH_MIN_ITEMS } from '@countersign/core';
import type { AppDeps } from '../app.js';
import { principalOf } from '../auth-hook.js';
import { actionView } from '../../views/action-view.js';
import type { BatchView } from '../../actions/batch-vote-service.js';
import { ActionView, IdParams, Problem, VoteBody } from '../schemas.js';

const problems = { '4xx': Problem, '5xx': Problem };
const security = [{ bearer: [] }];
const iso = (ms: number) => new Date(ms).toISOString();
const Time = Type.String({ format: 'date-time' });

/** Flattened request fields (`resource`, `params.a.b`, …) to their JSON values. */
const Paths = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'path → JSON value. Paths: resource, justification, on_behalf_of, risk, params.a.b; a params key ' +
    'that is not a plain name is written params["a.b"]; arrays and empty objects are one value',
});

const Batch = Type.Object({
  key: Type.String({ description: 'What the items share (rules, agent, action, environment)' }),
  rules: Type.Array(Type.String()),
  agent_id: Type.String(),
  action: Type.String(),
  environment: Type.String(),
  oldest_at: Time,
  common: Paths,
  items: Type.Array(
    Type.Object({
      id: Type.String(),
      digest: Type.String(),
      resource: Type.String(),
      created_at: Time,
      expires_at: Type.Union([Time, Type.Null()]),
      differs: Paths,
    }),
  ),
});

const BatchVoteBody = Type.Object(
  {
    vote: VoteBody.properties.vote,
    comment: VoteBody.properties.comment,
    /** Accepted only to refuse it with a clear reason: never allowed in a batch. */
    break_glass: Type.Optional(Type.Boolean()),
    items: Type.Array(
      Type.Object(
        {
          id: IdParams.properties.id,
          digest: Type.String({ minLength: 1, maxLength: 100 }),
        },
        { additionalProperties: false },
      ),
      { minItems: BATCH_MIN_ITEMS, maxItems: BATCH_MAX_ITEMS },
    ),
  },
  { additionalProperties: false },
);

const batchWire = (b: BatchView) => ({
  ...b,
  oldest_at: iso(b.oldest_at),
  items: b.items.map((i) => ({
    ...i,
    created_at: iso(i.created_at),
    expires_at: i.expires_at === null ? null : iso(i.expires_at),
  })),
});

/** Batch decisions of alike requests (docs/fatigue.md, "Batches"; docs/api.md). */
export const batchRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/v1/batches',
      {
        config: { auth: 'user' },
        schema: {
          operationId: 'listBatches',
          summary:
            'Groups of alike pending requests this user may vote on, with what tells them apart',
          tags: ['reviewer'],
          security,
          response: { 200: Type.Object({ items: Type.Array(Batch) }), ...problems },
        },
      },
      async (request) => {
        const batches = await deps.batchVotes.list(principalOf(request));
        return { items: batches.map(batchWire) };
      },
    );

    app.post(
      '/v1/batches/votes',
      {
        config: { auth: 'user' },
        schema: {
          operationId: 'voteOnBatch',
          summary: 'Approve or deny alike requests together: every listed item, or none',
          description:
            `${BATCH_MIN_ITEMS} to ${BATCH_MAX_ITEMS} items, each with the digest that was shown. ` +
            'Each item gets its own vote, as a single vote would. If any item cannot be decided ' +
            'as shown, none is: 409 batch_changed names every such item.',
          tags: ['reviewer'],
          security,
          body: BatchVoteBody,
          response: { 200: Type.Object({ items: Type.Array(ActionView) }), ...problems },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const { body } = request;
        const { items } = await deps.batchVotes.voteBatch(principal, body.items, {
          vote: body.vote,
          comment: body.comment,
          break_glass: body.break_glass,
          // Set by how the caller authenticated, never by a header the client writes.
          channel: principal.via === 'session' ? 'web' : 'api',
        });
        return {
          items: items.map(({ record, votes }) =>
            actionView(record, { votes, owners: deps.directory.agent(record.agent_id)?.owners }),
          ),
        };
      },
    );
  };
