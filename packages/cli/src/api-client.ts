import { CountersignError, type ErrorCode } from '@countersign/core';

export interface ApiOptions {
  url: string;
  token?: string | undefined;
}

/** Resolves where the gateway is and who we are: flags, then COUNTERSIGN_URL / COUNTERSIGN_TOKEN. */
export function apiOptions(options: { url?: string; token?: string }): ApiOptions {
  return {
    url: (options.url ?? process.env.COUNTERSIGN_URL ?? 'http://localhost:8080').replace(/\/$/, ''),
    token: options.token ?? process.env.COUNTERSIGN_TOKEN,
  };
}

/** A JSON call to the gateway; a problem response becomes a CountersignError with its code. */
export async function api<T>(
  options: ApiOptions,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  if (!options.token) {
    throw new CountersignError(
      'unauthenticated',
      'no token: pass --token or set COUNTERSIGN_TOKEN',
    );
  }
  let res: Response;
  try {
    res = await fetch(options.url + path, {
      method,
      headers: {
        authorization: `Bearer ${options.token}`,
        // Lets the gateway record the vote's channel as `cli`.
        'user-agent': 'countersign-cli/0.1.0',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new CountersignError(
      'storage_unavailable',
      `cannot reach ${options.url}: ${(e as Error).message}`,
    );
  }
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw problem(res.status, parsed, text);
  return parsed as T;
}

/** A streamed GET: the response, once its status says the body is the data (else the problem). */
export async function apiStream(options: ApiOptions, path: string): Promise<Response> {
  if (!options.token) {
    throw new CountersignError(
      'unauthenticated',
      'no token: pass --token or set COUNTERSIGN_TOKEN',
    );
  }
  let res: Response;
  try {
    res = await fetch(options.url + path, {
      headers: { authorization: `Bearer ${options.token}`, 'user-agent': 'countersign-cli/0.1.0' },
    });
  } catch (e) {
    throw new CountersignError(
      'storage_unavailable',
      `cannot reach ${options.url}: ${(e as Error).message}`,
    );
  }
  if (!res.ok || !res.body) {
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not a problem document: the text is the message
    }
    throw problem(res.status, parsed, text);
  }
  return res;
}

/** An RFC 9457 problem answer as a CountersignError with its code. */
function problem(status: number, parsed: unknown, text: string): CountersignError {
  const p = (parsed ?? {}) as { code?: ErrorCode; detail?: string; items?: unknown };
  return new CountersignError(
    p.code ?? 'internal',
    `${status} ${p.code ?? ''}: ${p.detail ?? text}`,
    // A refused batch names its items (docs/api.md, batch_changed): kept for the caller to show.
    Array.isArray(p.items) ? { items: p.items } : {},
  );
}
