import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { CountersignError, newId } from '@countersign/core';
import type { ActionService } from '../actions/action-service.js';
import type { VoteService } from '../actions/vote-service.js';
import type { StandingApprovals } from '../actions/standing-approvals.js';
import { standingRoutes } from './routes/standing-routes.js';
import type { TokenService } from '../auth/token-service.js';
import type { Metrics } from '../metrics/metrics.js';
import type { PolicyStore } from '../policy/policy-store.js';
import type { ShadowDisagreements } from '../policy/shadow-disagreements.js';
import type { GrantService } from '../grants/grant-service.js';
import type { Directory } from '../config/directory.js';
import { authHook } from './auth-hook.js';
import { sendProblem, statusOf, toCountersignError } from './problem.js';
import { clientErrorHandler } from './client-error-handler.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from './json-depth.js';
import { openApiOptions } from './openapi-document.js';
import { actionRoutes } from './routes/action-routes.js';
import { policyRoutes } from './routes/policy-routes.js';
import { auditRoutes, type CosignedCheckpointSource } from './routes/audit-routes.js';
import { auditExportRoutes } from './routes/audit-export-routes.js';
import { insightsRoutes, type ReviewerLoadReader } from './routes/insights-routes.js';
import type { AuditEvent, AuditLog } from '../audit/audit-log.js';
import { grantRoutes } from './routes/grant-routes.js';
import { systemRoutes } from './routes/system-routes.js';
import type { FastifyPluginAsync } from 'fastify';
import { timelineRoutes } from './routes/timeline-routes.js';
import { policyDocumentRoutes } from './routes/policy-document-routes.js';
import { policyShadowRoutes } from './routes/policy-shadow-routes.js';
import { auditVerifyRoutes } from './routes/audit-verify-routes.js';
import { inboxEventsRoutes } from './routes/inbox-events-routes.js';
import { authzenRoutes } from './routes/authzen-routes.js';
import type { ActionEvents } from '../actions/action-events.js';
import { webPlugin, type WebDeps } from '../web/web-plugin.js';

export interface AppDeps {
  audit: AuditLog;
  /** The newest checkpoint cosigned by at least `quorum` witnesses (docs/witness.md). */
  cosignedCheckpoint?: CosignedCheckpointSource;
  /**
   * Appends evidence that belongs to no request change (a channel's refusal answered with a
   * 200, a login): group-committed; resolves once durable.
   */
  record: (events: AuditEvent[]) => Promise<void>;
  /** Records a 4xx refusal as evidence (rate-limited for anonymous callers); never throws. */
  recordRefusal: (request: FastifyRequest, problem: CountersignError) => Promise<void>;
  actions: ActionService;
  votes: VoteService;
  /** Standing approvals (docs/fatigue.md); absent in apps built without them. */
  standing?: StandingApprovals | undefined;
  tokens: TokenService;
  policy: PolicyStore;
  /** This replica's tally of shadow-policy disagreements (`GET /v1/policy/shadow`). */
  shadowTally?: ShadowDisagreements;
  directory: Directory;
  metrics: Metrics;
  ready: () => Promise<void>;
  bodyLimit: number;
  maxWaitSeconds: number;
  logLevel: string;
  /** Where log lines go (default stdout, JSON); the demo formats them for a person. */
  logStream?: { write(line: string): void };
  publicUrl: string;
  grants: GrantService;
  /** Inbound routes of chat channels (`POST /slack/interactions`), each its own plugin. */
  channelRoutes?: readonly FastifyPluginAsync[];
  /** Every request change, for the inbox's event stream (web inbox). */
  events?: ActionEvents;
  /** The web inbox: cookie sessions, sign-in routes and its pages (web/). */
  web?: WebDeps;
  /** The gateway's clock (AuthZEN decisions read grant expiry and time windows from it). */
  now?: () => number;
  /** Reviewer-load figures for GET /v1/insights (docs/fatigue.md); absent: no such route. */
  insights?: ReviewerLoadReader;
}

export type App = Awaited<ReturnType<typeof buildApp>>;

// ajv-formats ships CommonJS with a default export; under NodeNext it arrives as the module.
const applyFormats = addFormats as unknown as (ajv: Ajv) => Ajv;

/**
 * Bodies are validated strictly (no type coercion, unknown fields refused: a string "20000"
 * is not the number 20000); query strings and path parameters are coerced, since every value
 * there arrives as text.
 */
function validators() {
  const common = {
    useDefaults: true,
    removeAdditional: false as const,
    strict: false,
    allErrors: true,
  };
  return {
    body: applyFormats(new Ajv({ ...common, coerceTypes: false })),
    other: applyFormats(new Ajv({ ...common, coerceTypes: true })),
  };
}

/** Builds the HTTP API around the services. No I/O happens here until `listen`. */
export async function buildApp(deps: AppDeps) {
  /**
   * Every refusal, whoever raises it (a route, a hook, the router, the body parser), goes out
   * through here: logged, counted, recorded as evidence, then answered as problem+json.
   */
  const refuse = async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const problem = toCountersignError(error);
    const status = statusOf(problem.code);
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else {
      // A refusal is an event worth keeping: who tried what, and why it was refused.
      request.log.info(
        { code: problem.code, principal: request.principal?.id, kind: request.principal?.kind },
        'request refused',
      );
      deps.metrics.refusals.inc({ code: problem.code });
      // Recorded before the answer goes out: the refusal is evidence once the caller sees it.
      await deps.recordRefusal(request, problem);
    }
    return sendProblem(request, reply, problem);
  };

  const app = Fastify({
    logger: { level: deps.logLevel, ...(deps.logStream ? { stream: deps.logStream } : {}) },
    bodyLimit: deps.bodyLimit,
    genReqId: () => newId('req'),
    // Long-polls must not be cut by the default idle socket timeout.
    requestTimeout: (deps.maxWaitSeconds + 30) * 1000,
    // Shutdown closes every connection, long-polls and SSE included: waiting agents resume
    // against another replica or after the restart (their wait is durable), and a kept-alive
    // socket must not hold the process for the keep-alive timeout.
    forceCloseConnections: true,
    // The router's own refusals (a malformed percent-encoding, an over-long path parameter)
    // would otherwise answer Fastify's default JSON.
    frameworkErrors: (error, request, reply) => void refuse(error, request, reply),
    // Refusals of Node's HTTP parser: before any request exists.
    clientErrorHandler: clientErrorHandler(({ problem, request }) => {
      deps.metrics.refusals.inc({ code: problem.code });
      void deps.recordRefusal(request, problem);
    }),
  }).withTypeProvider<TypeBoxTypeProvider>();

  const ajv = validators();
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? ajv.body : ajv.other).compile(schema),
  );

  // Bodies are JSON or nothing: text/plain is refused as 415 like every other type (docs/api.md),
  // not parsed into a string that the schema then refuses as 400.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // Before JSON.parse, without recursion: a deep body would overflow every recursive walk
    // after it (json-depth.ts).
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      done(
        new CountersignError(
          'invalid_request',
          `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`,
          { max_depth: MAX_JSON_DEPTH },
        ),
        undefined,
      );
      return;
    }
    // Fastify's own parser answers through `done` (its type also allows a promise).
    void parseJson(request, text, done);
  });

  await app.register(swagger, openApiOptions(deps.publicUrl, '0.1.0'));

  // Callback-style rather than async where the hook has nothing to await: no promise and no
  // microtask per request (a hot path; docs/performance.md).
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  // Authentication comes first, before the body is read, parsed or validated: an anonymous
  // caller learns nothing about the schema (401, not 400 with details), and every later refusal
  // is recorded as, and rate-limited as, the principal who made it.
  app.addHook('onRequest', authHook(deps.tokens, deps.web?.auth.cookies));
  app.addHook('onResponse', (request, reply, done) => {
    deps.metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });

  app.setErrorHandler(refuse);
  app.setNotFoundHandler((request, reply) =>
    refuse(
      new CountersignError(
        'not_found',
        `no endpoint ${request.method} ${request.url.split('?')[0]}`,
      ),
      request,
      reply,
    ),
  );

  await app.register(systemRoutes(deps));
  await app.register(actionRoutes(deps));
  if (deps.standing) await app.register(standingRoutes(deps.standing, deps.now));
  await app.register(policyRoutes(deps));
  await app.register(authzenRoutes(deps));
  await app.register(auditRoutes(deps.audit, deps.cosignedCheckpoint));
  await app.register(auditExportRoutes(deps.audit, '0.1.0'));
  await app.register(grantRoutes(deps));
  for (const routes of deps.channelRoutes ?? []) await app.register(routes);
  await app.register(timelineRoutes(deps));
  await app.register(policyDocumentRoutes(deps));
  await app.register(policyShadowRoutes(deps));
  await app.register(auditVerifyRoutes(deps.audit));
  if (deps.insights) await app.register(insightsRoutes(deps.insights));
  if (deps.events) await app.register(inboxEventsRoutes(deps.actions, deps.events));
  if (deps.web) await app.register(webPlugin(deps.web, deps.recordRefusal));
  return app;
}
