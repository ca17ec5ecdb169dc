/**
 * The bot's own access token for the Bot Connector: an OAuth 2.0 client-credentials grant
 * (RFC 6749 §4.4) against the tenant's Entra token endpoint, scope
 * `https://api.botframework.com/.default`, as "Authenticate requests from your bot to the Bot
 * Connector service" describes
 * (https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication).
 *
 * Cached until five minutes before it expires; concurrent callers share one request. The
 * token is a credential for the bot: it is only ever sent to the configured connector.
 */
export class TeamsTokenSource {
  #cached: { token: string; refreshAt: number } | undefined;
  #inFlight: Promise<string> | undefined;

  constructor(
    private readonly credentials: { tokenUrl: string; appId: string; appPassword: string },
    private readonly now: () => number = Date.now,
    private readonly timeoutMs = 10_000,
  ) {}

  /** A valid token, fetched if needed. Throws an `Error` saying why not (never the secret). */
  async token(): Promise<string> {
    if (this.#cached && this.now() < this.#cached.refreshAt) return this.#cached.token;
    this.#inFlight ??= this.fetchToken().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /** Drops the cached token (the connector answered 401 with it). */
  invalidate(): void {
    this.#cached = undefined;
  }

  private async fetchToken(): Promise<string> {
    const res = await fetch(this.credentials.tokenUrl, {
      method: 'POST',
      redirect: 'error',
      signal: AbortSignal.timeout(this.timeoutMs),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: this.credentials.appId,
        client_secret: this.credentials.appPassword,
        scope: 'https://api.botframework.com/.default',
      }),
    });
    const text = await res.text();
    if (!res.ok) {
      // Entra's error body names the problem (AADSTS7000215: invalid client secret, …).
      const code = /"error"\s*:\s*"([^"]{1,80})"/.exec(text)?.[1];
      throw new Error(`token endpoint answered HTTP ${res.status}${code ? ` (${code})` : ''}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error('token endpoint answered with something other than JSON');
    }
    const { access_token: token, expires_in: expiresIn } = (body ?? {}) as Record<string, unknown>;
    const seconds = Number(expiresIn);
    if (typeof token !== 'string' || token.length === 0 || !Number.isFinite(seconds)) {
      throw new Error('token endpoint answered without access_token and expires_in');
    }
    this.#cached = { token, refreshAt: this.now() + Math.max(0, seconds - 300) * 1000 };
    return token;
  }
}
