import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CountersignError } from '@countersign/core';
import { Directory } from '../config/directory.js';
import { directoryUserFor, type OidcClaims } from './oidc-user.js';

const directory = new Directory({
  groups: [{ id: 'data-owners' }, { id: 'sre' }],
  users: [
    { id: 'alice', email: 'Alice@Example.com', groups: ['data-owners'] },
    { id: 'pinned', email: 'pinned@example.com', oidc_sub: 'idp|pinned', groups: [] },
    { id: 'subonly', oidc_sub: 'idp|subonly', groups: ['sre'] },
    { id: 'twin1', email: 'twin@example.com', groups: [] },
    { id: 'twin2', email: 'twin@example.com', groups: [] },
  ],
});
const byEmail = { matchUsersBy: 'email' as const, groupsClaim: 'groups' };
const bySub = { matchUsersBy: 'sub' as const, groupsClaim: undefined };

const reason = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof CountersignError);
    assert.equal(e.code, 'forbidden');
    return e.extra.reason;
  }
  assert.fail('expected a refusal');
};

test('a verified email finds its user, case-insensitively', () => {
  const claims: OidcClaims = { sub: 'x', email: 'alice@example.COM', email_verified: true };
  assert.equal(directoryUserFor(directory, claims, byEmail).user.id, 'alice');
  // An IdP that omits email_verified is trusted to release verified addresses only.
  assert.equal(
    directoryUserFor(directory, { sub: 'x', email: 'alice@example.com' }, byEmail).user.id,
    'alice',
  );
});

test('an explicit oidc_sub wins, and pins its user to that sub', () => {
  assert.equal(directoryUserFor(directory, { sub: 'idp|subonly' }, byEmail).user.id, 'subonly');
  assert.equal(directoryUserFor(directory, { sub: 'idp|pinned' }, bySub).user.id, 'pinned');
  // Someone else holding the pinned user's email address is not them.
  const stranger = { sub: 'idp|someone-else', email: 'pinned@example.com', email_verified: true };
  assert.equal(
    reason(() => directoryUserFor(directory, stranger, byEmail)),
    'not_in_directory',
  );
});

test('refused: unverified email, unknown person, ambiguous email, email under match-by-sub', () => {
  const unverified = { sub: 'x', email: 'alice@example.com', email_verified: false };
  assert.equal(
    reason(() => directoryUserFor(directory, unverified, byEmail)),
    'email_unverified',
  );
  const unknown = { sub: 'x', email: 'zed@example.com', email_verified: true };
  assert.equal(
    reason(() => directoryUserFor(directory, unknown, byEmail)),
    'not_in_directory',
  );
  const twin = { sub: 'x', email: 'twin@example.com', email_verified: true };
  assert.equal(
    reason(() => directoryUserFor(directory, twin, byEmail)),
    'ambiguous_email',
  );
  const alice = { sub: 'x', email: 'alice@example.com', email_verified: true };
  assert.equal(
    reason(() => directoryUserFor(directory, alice, bySub)),
    'not_in_directory',
  );
  assert.equal(
    reason(() => directoryUserFor(directory, { sub: 'x' }, byEmail)),
    'not_in_directory',
  );
});

test('claimed groups count only when the directory has them', () => {
  const claims = { sub: 'x', email: 'alice@example.com', groups: ['sre', 'admins', 'sre', 7] };
  assert.deepEqual(directoryUserFor(directory, claims, byEmail).groups, ['sre']);
  const spaced = { sub: 'x', email: 'alice@example.com', groups: 'sre data-owners root' };
  assert.deepEqual(directoryUserFor(directory, spaced, byEmail).groups, ['sre', 'data-owners']);
  assert.deepEqual(
    directoryUserFor(directory, claims, { ...byEmail, groupsClaim: undefined }).groups,
    [],
  );
});
