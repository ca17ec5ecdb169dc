import type { PrincipalKind } from './token-secret.js';

/** Who is calling, as established from a valid, unrevoked token. */
export interface Principal {
  kind: PrincipalKind;
  id: string;
  tokenId: string;
  /** Users only: groups from the directory at the time of the call. */
  groups: readonly string[];
  /** Users only: admins may read everything and dry-run policy for any agent. */
  admin: boolean;
  /** Users only: may read the audit log (admins may too). */
  auditor: boolean;
  /** `session`: signed in to the web inbox with a cookie (then `tokenId` is the session id). */
  via?: 'session';
}
