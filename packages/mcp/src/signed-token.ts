/**
 * HMAC-signed, expiring tokens: the task ids and the `requestState` the proxy hands to MCP
 * clients of the 2026-07-28 revision. Both come back from the client, which may have forged,
 * edited or copied them, so nothing in them is believed until the MAC checks out. The proxy keeps
 * no table of them: any proxy process holding the same secret can verify one, which is what makes
 * a task survive a restart (2026-07-28 basic/patterns/mrtr, server requirements 4-5: state that
 * influences authorization MUST be integrity-protected).
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isJsonObject, type JsonObject } from '@countersign/core';

/** What a token is for: a task handle is never accepted as request state, nor the reverse. */
export type TokenPurpose = 'task' | 'state';

/** `other_call`: a valid token presented with a call it was not minted for. */
export type TokenFailure = 'malformed' | 'forged' | 'wrong_purpose' | 'expired' | 'other_call';

export class TokenError extends Error {
  override readonly name = 'TokenError';
  constructor(readonly failure: TokenFailure) {
    super(`token ${failure.replace('_', ' ')}`);
  }
}

const VERSION = 'cs1';
/** Longer than any token the proxy mints (arguments included); anything bigger is refused unread. */
const MAX_LENGTH = 256 * 1024;

export class TokenSigner {
  private readonly key: Buffer;

  /**
   * @param secret the proxy secret (`--state-secret`, `COUNTERSIGN_MCP_STATE_SECRET`); when
   *   undefined a random one, so tokens die with the process.
   */
  constructor(
    secret: string | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.key =
      secret === undefined || secret === ''
        ? randomBytes(32)
        : createHmac('sha256', 'countersign-mcp-token-key').update(secret).digest();
  }

  /** `cs1.<base64url JSON>.<base64url HMAC-SHA256>`; `expiresAt` in epoch milliseconds. */
  sign(purpose: TokenPurpose, payload: JsonObject, expiresAt: number): string {
    const body = Buffer.from(JSON.stringify({ ...payload, p: purpose, exp: expiresAt })).toString(
      'base64url',
    );
    return `${VERSION}.${body}.${this.mac(body)}`;
  }

  /** The payload of a token this proxy (or one with the same secret) signed; throws `TokenError`. */
  verify(purpose: TokenPurpose, token: unknown): JsonObject {
    if (typeof token !== 'string' || token.length > MAX_LENGTH) throw new TokenError('malformed');
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== VERSION) throw new TokenError('malformed');
    const [, body = '', mac = ''] = parts;
    // The MAC's text, not its decoded bytes: base64url decoding skips stray characters and
    // ignores the spare bits of the last one, so one MAC would have many accepted spellings.
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    // The MAC first: nothing in an unauthenticated body is read, not even its purpose.
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new TokenError('forged');
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw new TokenError('malformed');
    }
    if (!isJsonObject(payload) || typeof payload.exp !== 'number')
      throw new TokenError('malformed');
    if (payload.p !== purpose) throw new TokenError('wrong_purpose');
    if (this.now() >= payload.exp) throw new TokenError('expired');
    return payload;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(`${VERSION}.${body}`).digest('base64url');
  }
}
