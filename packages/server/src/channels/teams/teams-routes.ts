import type { FastifyPluginAsync } from 'fastify';
import { parseActivity } from './teams-activity.js';
import { noticeCard } from './teams-card.js';
import type { CardActionResponse, TeamsInvokeHandler } from './teams-invoke.js';
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
  options: { answerWithinMs?: number } = {},
): FastifyPluginAsync {
  const answerWithinMs = options.answerWithinMs ?? ANSWER_WITHIN_MS;
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
        const controller = new AbortController();
        return reply
          .code(200)
          .send(
            await answerInTime(
              invokes.handle(activity, raw, controller.signal),
              controller,
              answerWithinMs,
            ),
          );
      },
    );
  };
}

/**
 * Teams waits about 5 s for the answer to an invoke and then shows the user an error
 * ("Something went wrong"), whatever the bot does later (Universal Actions,
 * https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/
 * universal-actions-for-adaptive-cards/user-specific-views: "respond within 5 seconds"). The
 * roster lookup is bounded on its own (teams-identity.ts); this is the backstop for anything
 * else, answered with a card that says what is known.
 */
export const ANSWER_WITHIN_MS = 4500;

async function answerInTime(
  work: Promise<CardActionResponse>,
  controller: AbortController,
  ms: number,
): Promise<CardActionResponse> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<CardActionResponse>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error('the invoke answer deadline passed'));
      resolve({
        statusCode: 200,
        type: 'application/vnd.microsoft.card.adaptive',
        value: noticeCard(
          'Countersign is taking longer than Teams waits.',
          'Your vote may or may not have been counted: open the request in Countersign to see.',
        ),
      });
    }, ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
    // A late result still settles; its rejection must not go unhandled.
    work.catch(() => undefined);
  }
}
