import { GrantInvalid } from '../errors.js';
import type { Jwks } from '../wire-types.js';

interface Cached {
  jwks: Jwks;
  fetchedAt: number;
}

/** The gateway sends `Cache-Control: max-age=300` on its JWKS (docs/grants.md). */
const MAX_AGE_MS = 300_000;
/** A grant naming an unknown kid refetches (a rotation), but at most this often. */
const REFETCH_COOLDOWN_MS = 30_000;

const cache = new Map<string, Cached>();

/**
 * The key set at `url`, cached for five minutes; `refresh` asks for a fresh copy (a grant
 * named a kid we do not hold yet), rate-limited so forged kids cannot make us hammer the
 * gateway. A JWKS that cannot be fetched fails closed with `jwks_unavailable`.
 */
export async function fetchJwks(
  url: string,
  fetchImpl: typeof fetch,
  refresh = false,
): Promise<Jwks> {
  const now = Date.now();
  const hit = cache.get(url);
  if (hit && now - hit.fetchedAt < (refresh ? REFETCH_COOLDOWN_MS : MAX_AGE_MS)) return hit.jwks;
  let jwks: unknown;
  try {
    const res = await fetchImpl(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    jwks = await res.json();
  } catch (e) {
    throw new GrantInvalid('jwks_unavailable', `cannot fetch the keys at ${url}: ${String(e)}`, {
      cause: e,
    });
  }
  if (!isJwks(jwks)) throw new GrantInvalid('jwks_unavailable', `${url} is not a JWKS`);
  cache.set(url, { jwks, fetchedAt: now });
  return jwks;
}

function isJwks(v: unknown): v is Jwks {
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray((v as { keys?: unknown }).keys) &&
    (v as { keys: unknown[] }).keys.every((k) => typeof k === 'object' && k !== null)
  );
}
