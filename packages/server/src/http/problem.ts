import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CountersignError, type ErrorCode } from '@countersign/core';
import { schemaErrorsOf } from './schema-errors.js';

/** The one place an error code becomes an HTTP status. */
const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  malformed_json: 400,
  body_too_large: 413,
  unsupported_media_type: 415,
  justification_required: 422,
  uri_too_long: 414,
  headers_too_large: 431,
  request_timeout: 408,
  unauthenticated: 401,
  invalid_token: 401,
  token_revoked: 401,
  forbidden: 403,
  not_found: 404,
  idempotency_conflict: 409,
  invalid_transition: 409,
  already_decided: 409,
  request_expired: 409,
  self_approval_forbidden: 403,
  not_eligible: 403,
  already_voted: 409,
  step_up_required: 403,
  standing_not_allowed: 403,
  not_subject: 403,
  invalid_signature: 401,
  grant_used: 409,
  grant_expired: 410,
  digest_mismatch: 403,
  policy_invalid: 422,
  config_invalid: 500,
  // audit proofs: a bad query (out of range) is the caller's; an invalid proof is verification
  proof_malformed: 400,
  inclusion_proof_invalid: 422,
  consistency_proof_invalid: 422,
  tree_size_out_of_range: 400,
  checkpoint_malformed: 400,
  note_malformed: 400,
  note_key_invalid: 400,
  note_signature_invalid: 422,
  note_unverified: 422,
  storage_unavailable: 503,
  internal: 500,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

/** Fastify's own errors, translated to our stable codes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_VALIDATION: 'invalid_request',
  // Router refusals, handed to `frameworkErrors` (app.ts): `/v1/actions/%ZZ`, a path parameter
  // over `maxParamLength`.
  FST_ERR_BAD_URL: 'invalid_request',
  FST_ERR_MAX_PARAM_LENGTH: 'uri_too_long',
};

/**
 * Node's HTTP parser refusals (the `clientError` event): no request exists yet, so these are
 * translated here and written to the socket by client-error-handler.ts.
 * https://nodejs.org/api/http.html#event-clienterror
 */
export function parserErrorOf(error: { code?: string }): CountersignError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new CountersignError(
        'headers_too_large',
        'the request line and headers are too large',
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new CountersignError('request_timeout', 'the request was not received in time');
    default:
      return new CountersignError('invalid_request', 'the request is not valid HTTP/1.1', {
        parser_code: error.code ?? 'unknown',
      });
  }
}

/** Turns any thrown value into a CountersignError; unknown errors become `internal`. */
export function toCountersignError(error: unknown): CountersignError {
  if (error instanceof CountersignError) return error;
  const fe = error as Partial<FastifyError> & { body?: unknown };
  if (fe.validation) {
    return new CountersignError('invalid_request', 'the request does not match the schema', {
      errors: schemaErrorsOf(fe.validation, fe.validationContext),
    });
  }
  // secure-json-parse rejects __proto__/constructor.prototype keys with a SyntaxError.
  if (error instanceof SyntaxError) return new CountersignError('malformed_json', error.message);
  const code = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (code) return new CountersignError(code, fe.message ?? code);
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new CountersignError('invalid_request', fe.message ?? 'bad request');
  }
  return new CountersignError('internal', 'internal error');
}

const BEARER_CODES = new Set<ErrorCode>(['unauthenticated', 'invalid_token', 'token_revoked']);

/** The RFC 9457 problem document for an error. */
export function problemOf(
  error: CountersignError,
  instance: string | undefined,
  requestId: string,
) {
  const status = statusOf(error.code);
  return {
    ...error.extra,
    type: `urn:countersign:problem:${error.code}`,
    title: error.code.replaceAll('_', ' '),
    status,
    code: error.code,
    detail: error.message,
    ...(instance === undefined ? {} : { instance }),
    request_id: requestId,
  };
}

/** Writes an RFC 9457 problem+json response. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: CountersignError) {
  // RFC 6750 §3: only a failed bearer-token check asks for a token; a bad grant or a bad chat
  // signature is also a 401, but no token would fix it.
  if (BEARER_CODES.has(error.code)) reply.header('www-authenticate', 'Bearer realm="countersign"');
  // Also here: the router's refusals (app.ts, `frameworkErrors`) run no onRequest hook.
  reply.header('x-request-id', request.id);
  return reply
    .code(statusOf(error.code))
    .type('application/problem+json')
    .send(problemOf(error, request.url, request.id));
}

/**
 * A whole HTTP/1.1 problem+json response as bytes, for a socket the HTTP parser gave up on.
 * `Connection: close`: the parser cannot find the next request's start after a refused one
 * (RFC 9112 §9.6), so the client must not reuse the connection.
 */
export function rawProblemResponse(error: CountersignError, requestId: string): string {
  const status = statusOf(error.code);
  const body = JSON.stringify(problemOf(error, undefined, requestId));
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    'Content-Type: application/problem+json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `x-request-id: ${requestId}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}
