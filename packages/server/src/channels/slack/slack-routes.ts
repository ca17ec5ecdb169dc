import type { FastifyPluginAsync } from 'fastify';
import { CountersignError, voteEvidence } from '@countersign/core';
import { Problem } from '../../http/schemas.js';
import type { SlackInteractions } from './slack-interactions.js';
import { parseInteractionForm } from './slack-payload.js';
import type { SlackReplayCache } from './slack-replay-cache.js';
import {
  SLACK_SIGNATURE_HEADER,
  SLACK_TIMESTAMP_HEADER,
  SLACK_TOLERANCE_SECONDS,
  slackSignatureError,
  verifySlackSignature,
} from './slack-signature.js';

export interface SlackRoutesOptions {
  signingSecret: string;
  interactions: SlackInteractions;
  replay: SlackReplayCache;
  now?: () => number;
}

/** Slack's interaction payloads are a few KB; a message with many blocks some tens. */
const BODY_LIMIT = 256 * 1024;
/** Clock slack on top of the ±5 min tolerance, for how long a signature is remembered. */
const REPLAY_MARGIN_MS = 60_000;

/**
 * `POST /slack/interactions`: the Request URL of the app's interactivity settings. Slack POSTs
 * `application/x-www-form-urlencoded` with one `payload` field of JSON, signed over the raw
 * bytes. The form parser here keeps the body as a Buffer, scoped to this plugin so no other
 * route accepts forms; the signature is checked over those bytes before anything is parsed,
 * and each signed request is accepted once. A forged, stale or replayed request is a 401
 * problem+json (`invalid_signature`, with `reason`), recorded by the app's refusal recorder.
 */
export function slackRoutes(options: SlackRoutesOptions): FastifyPluginAsync {
  const now = options.now ?? Date.now;
  return async (app) => {
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'buffer', bodyLimit: BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );

    app.post(
      '/slack/interactions',
      {
        bodyLimit: BODY_LIMIT,
        schema: {
          summary: 'Slack interactivity Request URL (signed by Slack)',
          tags: ['channels'],
          response: { '4xx': Problem, '5xx': Problem },
        },
      },
      async (request, reply) => {
        const raw = request.body;
        if (!Buffer.isBuffer(raw)) {
          throw new CountersignError('unsupported_media_type', 'expected a form-encoded body');
        }
        const header = (name: string) => {
          const v = request.headers[name];
          return typeof v === 'string' ? v : undefined;
        };
        const { timestamp, signature } = verifySlackSignature(
          options.signingSecret,
          { signature: header(SLACK_SIGNATURE_HEADER), timestamp: header(SLACK_TIMESTAMP_HEADER) },
          raw,
          now(),
        );
        const keepUntil = (timestamp + SLACK_TOLERANCE_SECONDS) * 1000 + REPLAY_MARGIN_MS;
        if (!(await options.replay.accept(signature, keepUntil))) {
          throw slackSignatureError('replayed');
        }
        const payload = parseInteractionForm(raw);
        const ack = await options.interactions.handle(payload, voteEvidence(raw));
        return ack.body === undefined ? reply.code(200).send() : reply.code(200).send(ack.body);
      },
    );
  };
}
