import type { JsonValue } from './types';

/** An RFC 9457 problem from the API, with its stable `code` (docs/api.md, "Errors"). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly body: unknown,
  ) {
    super(detail);
    this.name = 'ApiError';
  }

  /** What to tell a person: the API's own sentence, with its code for a bug report. */
  get summary(): string {
    return `${this.detail} (${this.code})`;
  }
}

let csrfToken: string | null = null;
let onSignedOut: ((reason: string) => void) | undefined;

/** The session's CSRF token (from GET /auth/session), sent with every state-changing call. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the API says the session is gone (expired, ended elsewhere): back to sign-in. */
export function onSessionLost(listener: (reason: string) => void): void {
  onSignedOut = listener;
}

const SESSION_LOST = new Set(['unauthenticated', 'invalid_token', 'token_revoked']);

/**
 * Calls the API with the session cookie (same origin only). State-changing calls carry the
 * CSRF token in `x-csrf-token`: the server refuses them without it (docs/web.md).
 */
export async function api<T>(
  path: string,
  options: { method?: 'GET' | 'POST'; body?: JsonValue } = {},
): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== null) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    parsed = text;
  }
  if (!response.ok) {
    const problem = (parsed ?? {}) as { code?: unknown; detail?: unknown };
    const error = new ApiError(
      response.status,
      typeof problem.code === 'string' ? problem.code : `http_${response.status}`,
      typeof problem.detail === 'string' ? problem.detail : response.statusText,
      parsed,
    );
    // A refused sign-in (/auth/…) is not a lost session: only the API's refusals are.
    if (response.status === 401 && SESSION_LOST.has(error.code) && !path.startsWith('/auth/'))
      onSignedOut?.(error.detail);
    throw error;
  }
  return parsed as T;
}

/** A query string from the non-empty values. */
export function query(
  params: Record<string, string | number | boolean | undefined | null>,
): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

export function errorText(e: unknown): string {
  return e instanceof ApiError ? e.summary : e instanceof Error ? e.message : String(e);
}
