import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ActionEvents } from '../../actions/action-events.js';
import type { ActionService } from '../../actions/action-service.js';
import { principalOf } from '../auth-hook.js';
import { eventStream, Problem } from '../schemas.js';
import { HEARTBEAT_MS, openEventStream } from '../sse.js';

/**
 * Server-sent events for a reviewer's inbox: `event: change` with `{id, status, updated_at}`
 * whenever a request this user could review (any request, for an admin) is created or changes.
 * Only ids and states travel here; the page reads the record through the API, which applies
 * the same visibility rules as everywhere else. Changes made by another replica arrive too,
 * through this process's change watcher (actions/action-watcher.ts, LISTEN/NOTIFY).
 */
export const inboxEventsRoutes =
  (actions: ActionService, events: ActionEvents): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/v1/inbox/events',
      {
        config: { auth: 'user' },
        schema: {
          operationId: 'streamInboxEvents',
          summary: "Server-sent events: changes to requests in this user's inbox",
          tags: ['reviewer'],
          security: [{ bearer: [] }],
          response: {
            200: eventStream(
              '`event: ready` once subscribed, then `event: change` with `{id, status, updated_at}`',
            ),
            '4xx': Problem,
            '5xx': Problem,
          },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const res = openEventStream(request, reply);
        if (!res) return reply;
        // `ready` tells the page it is subscribed: it re-reads its list then, so a change made
        // between its first read and this moment is not missed.
        res.write('retry: 3000\nevent: ready\ndata: {}\n\n');
        const unsubscribe = events.subscribeEvery((r) => {
          if (!principal.admin && actions.standing(principal, r) !== 'eligible') return;
          const data = {
            id: r.id,
            status: r.status,
            updated_at: new Date(r.updated_at).toISOString(),
          };
          res.write(`event: change\ndata: ${JSON.stringify(data)}\n\n`);
        });
        const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
        res.once('close', () => {
          clearInterval(heartbeat);
          unsubscribe();
        });
        return reply;
      },
    );
  };
