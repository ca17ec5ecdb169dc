import type { Directory, User } from '../../config/directory.js';
import type { TeamsActivity } from './teams-activity.js';
import type { TeamsConnector, TeamsMember } from './teams-connector.js';

/** Who a Teams user is in the directory, or why nobody. */
export type TeamsIdentity =
  { ok: true; user: User; via: 'teams_aad_id' | 'email' } | { ok: false; reason: string };

export interface TeamsIdentityOptions {
  /** The bot's tenant: accounts of any other organisation map to nobody. */
  tenantId: string;
  /** Map users without a `teams_aad_id` by the email or UPN Teams reports for them. */
  emailMapping: boolean;
  /** How long a member lookup is trusted; a changed email takes effect after this. */
  ttlMs?: number;
  maxEntries?: number;
  /**
   * The longest a roster lookup may take: Teams waits about 5 s for an invoke's answer, so
   * a slow Bot Connector must turn into a clear "try again", not a timed-out click.
   */
  lookupTimeoutMs?: number;
  now?: () => number;
}

/** Entra marks accounts invited from another organisation with `#EXT#` in their UPN. */
const GUEST_UPN = /#ext#/i;

/**
 * Maps the Teams user behind an activity to a Countersign user: by the Entra object id
 * (`from.aadObjectId`) against the directory's `teams_aad_id` first, then, if allowed, by the
 * email or UPN the Bot Connector reports for that member (GET
 * /v3/conversations/{id}/members/{userId}, the Teams roster: Microsoft's word, not the
 * client's). Accounts of another tenant (external access, shared channels) never map, and
 * guests never map by email (`userRole: guest`, or an `#EXT#` UPN: B2B guests live in our
 * tenant but their email was issued by another organisation, so it proves nothing): an email
 * is only proof of identity inside the organisation that issued it. Only an explicit
 * `teams_aad_id` in the directory, an administrator's decision, maps such an account. In a team
 * channel the roster is the team's (`channelData.team.id`). A directory user
 * with an explicit `teams_aad_id` is never reached by email from another account, and an
 * email shared by two directory users maps to nobody.
 */
export class TeamsIdentityMapper {
  readonly #byAadId = new Map<string, User>();
  readonly #byEmail = new Map<string, User | null>();
  readonly #members = new Map<string, { member: TeamsMember; until: number }>();

  constructor(
    directory: Directory,
    private readonly connector: TeamsConnector,
    private readonly options: TeamsIdentityOptions,
  ) {
    for (const user of directory.users.values()) {
      if (user.teams_aad_id !== undefined) this.#byAadId.set(user.teams_aad_id.toLowerCase(), user);
      if (user.email === undefined) continue;
      const email = user.email.toLowerCase();
      this.#byEmail.set(email, this.#byEmail.has(email) ? null : user);
    }
  }

  /** Throws only if the Bot Connector could not be asked. */
  async resolve(activity: TeamsActivity, signal: AbortSignal): Promise<TeamsIdentity> {
    const account = activity.from.name ?? activity.from.aadObjectId ?? activity.from.id ?? '?';
    const unmapped = `your Teams account (${account}) is not linked to a Countersign user`;
    if (activity.tenantId?.toLowerCase() !== this.options.tenantId) {
      return { ok: false, reason: `${unmapped}: it belongs to another organisation` };
    }
    const aad = activity.from.aadObjectId?.toLowerCase();
    const explicit = aad === undefined ? undefined : this.#byAadId.get(aad);
    if (explicit) return { ok: true, user: explicit, via: 'teams_aad_id' };
    if (!this.options.emailMapping || activity.from.id === undefined || !activity.conversationId) {
      return { ok: false, reason: unmapped };
    }
    let member: TeamsMember;
    const roster = activity.teamId ?? activity.conversationId;
    const bounded = AbortSignal.any([
      signal,
      AbortSignal.timeout(this.options.lookupTimeoutMs ?? 2500),
    ]);
    try {
      member = await abortable(this.member(roster, activity.from.id, bounded), bounded);
    } catch (e) {
      // Not a member of the conversation (404) or not visible to the bot (403): nobody.
      const status = this.connector.failure(e).status;
      if (status === 403 || status === 404) return { ok: false, reason: unmapped };
      throw e;
    }
    if (
      (member.tenantId !== undefined && member.tenantId.toLowerCase() !== this.options.tenantId) ||
      (member.aadObjectId !== undefined && member.aadObjectId.toLowerCase() !== aad)
    ) {
      return { ok: false, reason: unmapped };
    }
    if (
      member.userRole?.toLowerCase() === 'guest' ||
      (member.userPrincipalName !== undefined && GUEST_UPN.test(member.userPrincipalName))
    ) {
      return { ok: false, reason: `${unmapped}: guest accounts are never linked by email` };
    }
    for (const address of [member.email, member.userPrincipalName]) {
      const user = address === undefined ? undefined : this.#byEmail.get(address.toLowerCase());
      if (!user) continue;
      if (user.teams_aad_id !== undefined && user.teams_aad_id.toLowerCase() !== aad) break;
      return { ok: true, user, via: 'email' };
    }
    return { ok: false, reason: `${unmapped} (no single user has its email)` };
  }

  private async member(
    conversationId: string,
    userId: string,
    signal: AbortSignal,
  ): Promise<TeamsMember> {
    const key = `${conversationId}\n${userId}`;
    const now = (this.options.now ?? Date.now)();
    const cached = this.#members.get(key);
    if (cached && cached.until > now) return cached.member;
    const member = await this.connector.member(conversationId, userId, signal);
    this.#members.delete(key);
    this.#members.set(key, { member, until: now + (this.options.ttlMs ?? 5 * 60_000) });
    if (this.#members.size > (this.options.maxEntries ?? 1000)) {
      const oldest = this.#members.keys().next().value;
      if (oldest !== undefined) this.#members.delete(oldest);
    }
    return member;
  }
}

/** The promise, or an error as soon as the signal aborts (a call that ignores it included). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  const reason = () =>
    signal.reason instanceof Error ? signal.reason : new Error('the roster lookup timed out');
  if (signal.aborted) return Promise.reject(reason());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
