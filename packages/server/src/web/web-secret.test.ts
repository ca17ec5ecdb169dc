import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csrfTokenFor, generateSecret, hashSecret, looksLikeSecret } from './web-secret.js';
import { readCookie, setCookieHeader } from './cookies.js';

test('secrets: 256 random bits, recognised by shape, stored as SHA-256', () => {
  const a = generateSecret();
  const b = generateSecret('csl_');
  assert.ok(looksLikeSecret(a));
  assert.ok(looksLikeSecret(b, 'csl_'));
  assert.ok(!looksLikeSecret(b));
  assert.ok(!looksLikeSecret(`${a}x`));
  assert.notEqual(a, generateSecret());
  assert.match(hashSecret(a), /^[0-9a-f]{64}$/);
});

test('the CSRF token is bound to its session and reveals nothing of it', () => {
  const s = generateSecret();
  assert.equal(csrfTokenFor(s), csrfTokenFor(s));
  assert.notEqual(csrfTokenFor(s), csrfTokenFor(generateSecret()));
  assert.ok(!csrfTokenFor(s).includes(s));
});

test('cookies: read by exact name; written HttpOnly, SameSite=Lax, Secure only over https', () => {
  assert.equal(readCookie('a=1; countersign_session=xyz; b=2', 'countersign_session'), 'xyz');
  assert.equal(readCookie('xcountersign_session=1', 'countersign_session'), undefined);
  assert.equal(readCookie(undefined, 'a'), undefined);
  assert.equal(
    setCookieHeader('n', 'v', { maxAge: 60.7, secure: false }),
    'n=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60',
  );
  assert.match(setCookieHeader('n', '', { maxAge: -5, secure: true }), /Max-Age=0; Secure$/);
});
