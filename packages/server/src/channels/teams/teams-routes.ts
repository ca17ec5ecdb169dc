import type { FastifyPluginAsync } from 'fastify';
import { parseActivity } from './teams-activity.js';
import type { TeamsInvokeHandler } from './teams-invoke.js';
import type { TeamsJwtValidator } from './teams-jwt.js';

/**
 * `POST /api/messages`, the bot's messaging endpoint (the Azure Bot's "Messaging endpoint").
 * In order: the Bearer token (teams-jwt.ts) before the body is even parsed, then the activity,
 * then the token's binding to it (serviceUrl, channel endorsement). A refusal is a 401
 * problem+json, recorded as `api.refused` by the app's error handler, and changes nothing.
 * An `adaptiveCard/action` invoke is answered with a card (teams-invoke.ts); every other
 * activity Teams sends a bot (installs, messages, reactions) is acknowledged and ignored.
 */
export function teamsRoutes(
  jwt: TeamsJwtValidator,
  invokes: TeamsInvokeHandler,
): FastifyPluginAsync {
  return async (app) => {
    // The raw body, byte for byte: the vote's evidence is its hash. Scoped to this plugin.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) =>
      done(null, body),
    );

    app.post(
      '/api/messages',
      {
        schema: {
          summary: 'Microsoft Teams: activities from the Bot Connector (Bearer JWT)',
          tags: ['channels'],
        },
      },
      async (request, reply) => {
        const token = await jwt.verify(request.headers.authorization);
        const raw = typeof request.body === 'string' ? request.body : '';
        const activity = await parseActivity(raw);
        jwt.checkActivity(token, activity);
        if (activity.type !== 'invoke' || activity.name !== 'adaptiveCard/action') {
          return reply.code(200).send();
        }
        // Teams waits a few seconds for an invoke's answer; a slow lookup must not hang it.
        const signal = AbortSignal.timeout(8000);
        return reply.code(200).send(await invokes.handle(activity, raw, signal));
      },
    );
  };
}
