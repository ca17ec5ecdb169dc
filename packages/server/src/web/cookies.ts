/**
 * The few cookies the web inbox sets. Their values are base64url, so parsing needs no decoding
 * and writing needs no encoding; a header we cannot parse simply yields no cookie.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  secure: boolean;
}

/**
 * `HttpOnly` (scripts never see it), `SameSite=Lax` (not sent on cross-site POSTs or
 * subresource loads, still sent on the top-level GET back from the IdP), `Path=/`, and `Secure`
 * when the gateway is served over HTTPS (RFC 6265bis §4.1).
 */
export function setCookieHeader(name: string, value: string, options: CookieOptions): string {
  return [
    `${name}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${Math.max(0, Math.floor(options.maxAge))}`,
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}

/**
 * Cookie names. Over HTTPS the `__Host-` prefix makes the browser refuse a cookie that is not
 * Secure, has a Domain, or a Path other than `/`: a sibling subdomain cannot plant a session.
 */
export function cookieNames(secure: boolean): { session: string; oidc: string } {
  const prefix = secure ? '__Host-' : '';
  return { session: `${prefix}countersign_session`, oidc: `${prefix}countersign_oidc` };
}
