import { CountersignError } from '@countersign/core';
import type { Directory, User } from '../config/directory.js';
import type { OidcSettings } from './web-settings.js';

/** The claims we read: from the verified ID token, completed by UserInfo when needed. */
export type OidcClaims = Readonly<Record<string, unknown>> & { readonly sub: string };

/** Why a sign-in the IdP accepted is still refused here; shown to the person on /login. */
export type SignInRefusal = 'not_in_directory' | 'email_unverified' | 'ambiguous_email';

const refuse = (reason: SignInRefusal, message: string) =>
  new CountersignError('forbidden', message, { reason });

/**
 * Finds the directory user an OIDC sign-in belongs to, and the directory groups the IdP adds.
 *
 * The directory stays the source of truth (PRODUCT.md: users, groups and agents come from
 * countersign.yaml): an IdP can vouch for *who* someone is, never create a user, and its group
 * claims count only for groups the directory already has, so a typo or a rogue group at the
 * IdP cannot mint a new approving group.
 *
 * 1. A user whose `oidc_sub` equals `sub` (issuer-scoped and never reassigned: OIDC Core §2).
 * 2. With `match_users_by: email`, the one user whose email equals the `email` claim, unless
 *    the IdP says it is unverified, and unless that user is pinned to another `oidc_sub`.
 */
export function directoryUserFor(
  directory: Directory,
  claims: OidcClaims,
  settings: Pick<OidcSettings, 'groupsClaim' | 'matchUsersBy'>,
): { user: User; groups: string[] } {
  const users = [...directory.users.values()];
  let user = users.find((u) => u.oidc_sub !== undefined && u.oidc_sub === claims.sub);
  if (!user && settings.matchUsersBy === 'email') {
    const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : '';
    if (email === '') {
      throw refuse(
        'not_in_directory',
        'the identity provider sent no email, and no user has this sub',
      );
    }
    // Absent is accepted (many enterprise IdPs only release verified addresses and omit the
    // claim); an explicit false is not. `match_users_by: sub` avoids trusting emails at all.
    if (claims.email_verified === false) {
      throw refuse('email_unverified', 'the identity provider says this email is not verified');
    }
    const matches = users.filter((u) => u.email?.toLowerCase() === email);
    if (matches.length > 1) {
      throw refuse('ambiguous_email', `more than one directory user has the email ${email}`);
    }
    const [byEmail] = matches;
    // A user pinned to a sub signs in with that sub only: someone else who gets the same email
    // address at the IdP later is not them.
    if (byEmail && byEmail.oidc_sub === undefined) user = byEmail;
  }
  if (!user) {
    throw refuse('not_in_directory', 'no Countersign user matches this sign-in');
  }
  return { user, groups: claimedGroups(directory, claims, settings.groupsClaim) };
}

/** The claim's group names that exist in the directory (a list, or one space-separated string). */
function claimedGroups(directory: Directory, claims: OidcClaims, claim: string | undefined) {
  if (claim === undefined) return [];
  const value = claims[claim];
  const names = Array.isArray(value)
    ? value.filter((v): v is string => typeof v === 'string')
    : typeof value === 'string'
      ? value.split(/\s+/)
      : [];
  return [...new Set(names.filter((g) => directory.groups.has(g)))];
}
