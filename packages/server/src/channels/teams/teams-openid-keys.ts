import { createRemoteJWKSet, type JWSAlgorithm, type RemoteJWKSet } from 'jose';
import { urlProblem } from './teams-settings.js';

/** The Bot Connector's signing keys, as its OpenID metadata publishes them. */
export interface BotSigningKeys {
  jwks: RemoteJWKSet;
  /** From `id_token_signing_alg_values_supported`, asymmetric ones only. */
  algorithms: JWSAlgorithm[];
}

// Never `none` or an HMAC: a public key used as an HMAC secret forges anything (RFC 8725 §2.1).
const ASYMMETRIC = new Set<string>([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);

/**
 * Steps 2 and 3 of "Authenticate requests from the Bot Connector service to your bot"
 * (https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication):
 * the OpenID metadata document names `jwks_uri` and the signing algorithms; the keys there
 * (JWK, each with Bot Framework's extra `endorsements`) sign the tokens. The metadata is
 * re-read daily and kept when a re-read fails; jose's remote key set re-reads the keys when a
 * token names a key it does not know (rotation), at most every 30 s. A failed first read is
 * not retried for a few seconds, so unauthenticated requests cannot make us hammer the URL.
 */
export class OpenIdKeys {
  #current: { keys: BotSigningKeys; at: number } | undefined;
  #loading: Promise<BotSigningKeys> | undefined;
  #failure: { error: Error; at: number } | undefined;

  constructor(
    private readonly metadataUrl: string,
    private readonly now: () => number = Date.now,
    private readonly maxAgeMs = 24 * 3600_000,
    private readonly timeoutMs = 5000,
  ) {}

  /** The current keys; throws an `Error` when none could ever be read. */
  async get(): Promise<BotSigningKeys> {
    const current = this.#current;
    if (current && this.now() - current.at < this.maxAgeMs) return current.keys;
    if (!current && this.#failure && this.now() - this.#failure.at < 5000) {
      throw this.#failure.error;
    }
    this.#loading ??= this.load().finally(() => {
      this.#loading = undefined;
    });
    if (current) {
      // Stale: refresh in the background and keep verifying with what we have.
      this.#loading.catch(() => undefined);
      return current.keys;
    }
    return this.#loading;
  }

  /** The `endorsements` the key set publishes for `kid` (undefined: the key has none). */
  endorsementsOf(kid: string): readonly string[] | undefined {
    const jwk = this.#current?.keys.jwks.jwks()?.keys.find((k) => k.kid === kid);
    const endorsements: unknown = (jwk as { endorsements?: unknown } | undefined)?.endorsements;
    return Array.isArray(endorsements)
      ? endorsements.filter((e): e is string => typeof e === 'string')
      : undefined;
  }

  private async load(): Promise<BotSigningKeys> {
    try {
      const res = await fetch(this.metadataUrl, {
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: { accept: 'application/json' },
      });
      if (!res.ok) throw new Error(`OpenID metadata: HTTP ${res.status}`);
      const doc = (await res.json()) as Record<string, unknown> | null;
      const jwksUri = doc?.jwks_uri;
      if (typeof jwksUri !== 'string') throw new Error('OpenID metadata has no jwks_uri');
      const problem = urlProblem(jwksUri);
      if (problem) throw new Error(`OpenID metadata jwks_uri ${problem}`);
      const listed = doc?.id_token_signing_alg_values_supported;
      const algorithms = (Array.isArray(listed) ? listed : ['RS256']).filter(
        (a): a is JWSAlgorithm => typeof a === 'string' && ASYMMETRIC.has(a),
      );
      if (algorithms.length === 0) throw new Error('OpenID metadata lists no usable algorithm');
      const jwks = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: this.timeoutMs });
      // Read the keys now: a key set that cannot be read is a failed load, not a later 401.
      await jwks.reload();
      const keys = { jwks, algorithms };
      this.#current = { keys, at: this.now() };
      this.#failure = undefined;
      return keys;
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.#failure = { error, at: this.now() };
      throw error;
    }
  }
}
