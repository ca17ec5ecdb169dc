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
  now?: () => number;
}

/**
 * Maps the Teams user behind an activity to a Countersign user: by the Entra object id
 * (`from.aadObjectId`) against the directory's `teams_aad_id` first, then, if allowed, by the
 * email or UPN the Bot Connector reports for that member (GET
 * /v3/conversations/{id}/members/{userId}, the Teams roster: Microsoft's word, not the
 * client's). Accounts of another tenant never map (guests, external access, shared channels):
 * an email is only proof of identity inside the organisation that issued it. A directory user
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
    try {
      member = await this.member(activity.conversationId, activity.from.id, signal);
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
