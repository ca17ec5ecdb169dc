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
  if (!res.ok) {
    const p = (parsed ?? {}) as { code?: ErrorCode; detail?: string };
    throw new CountersignError(
      p.code ?? 'internal',
      `${res.status} ${p.code ?? ''}: ${p.detail ?? text}`,
    );
  }
  return parsed as T;
}
