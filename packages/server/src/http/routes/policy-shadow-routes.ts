import { basename } from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CHANGE_KINDS } from '@countersign/core';
import type { AppDeps } from '../app.js';
import { Problem } from '../schemas.js';
import { emptyTally } from '../../policy/shadow-disagreements.js';

const Side = Type.Object({
  decision: Type.String(),
  rules: Type.Array(Type.String()),
  policy_version: Type.String(),
});

const Counts = Type.Object(
  Object.fromEntries(CHANGE_KINDS.map((k) => [k, Type.Integer()])) as Record<
    (typeof CHANGE_KINDS)[number],
    ReturnType<typeof Type.Integer>
  >,
);

/**
 * The shadow policy (docs/policy.md "Shadow policies"), for admins and auditors: its version and
 * that version's disagreements with the live policy as the store records them (every replica
 * answers the same). Others are refused like every `auditor` route (403 problem+json, audited
 * by the auth hook).
 */
export const policyShadowRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/v1/policy/shadow',
      {
        config: { auth: 'auditor' },
        schema: {
          operationId: 'getShadowPolicy',
          summary: "The shadow policy's version and its disagreements with the live policy",
          tags: ['admin', 'audit'],
          security: [{ bearer: [] }],
          response: {
            200: Type.Object({
              configured: Type.Boolean(),
              file: Type.Union([Type.String(), Type.Null()]),
              version: Type.Union([Type.String(), Type.Null()]),
              live_version: Type.String(),
              since: Type.String(),
              counts: Counts,
              examples: Type.Array(
                Type.Object({
                  request_id: Type.String(),
                  at: Type.String(),
                  agent: Type.String(),
                  action: Type.String(),
                  kind: Type.String(),
                  live: Side,
                  shadow: Side,
                }),
              ),
            }),
            '4xx': Problem,
            '5xx': Problem,
          },
        },
      },
      async () => {
        const shadow = deps.policy.shadow;
        const version = shadow?.current?.version ?? null;
        // Without a store behind it (apps built bare in tests): nothing is counted.
        const tally = deps.shadowTally
          ? await deps.shadowTally(version)
          : emptyTally((deps.now ?? Date.now)());
        return {
          configured: shadow !== undefined,
          // The file name only, as GET /v1/policy: the server's layout is nobody's business.
          file: shadow ? basename(shadow.file) : null,
          version,
          live_version: deps.policy.current.version,
          ...tally,
        };
      },
    );
  };
