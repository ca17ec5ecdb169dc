/**
 * Where to send the browser after sign-in: a path on this site, or `/`. `return_to` arrives
 * in a URL anyone can craft, so an absolute URL, `//host` or `/\host` (which browsers read as
 * another host) would make the login an open redirect to a look-alike site.
 */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2000) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  // eslint-disable-next-line no-control-regex -- control characters are what we refuse
  if (/[\u0000-\u001f\u007f]/.test(value)) return '/';
  const base = 'http://countersign.invalid';
  const url = new URL(value, base);
  if (url.origin !== base) return '/';
  // Never back into the sign-in pages themselves.
  if (url.pathname.startsWith('/login') || url.pathname.startsWith('/auth/')) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}
