import type { Directory, User } from '../../config/directory.js';
import type { SlackApi, SlackUser } from './slack-api.js';

/** Who a Slack user is in the directory, or why nobody. */
export type SlackIdentity = { ok: true; user: User } | { ok: false; reason: string };

export interface SlackIdentityOptions {
  /** Map users without a `slack_id` by their confirmed email. */
  emailMapping: boolean;
  /**
   * The installing workspace; accounts of any other never map by email. Unset, it is asked of
   * Slack once (auth.test of the bot token).
   */
  teamId: string | undefined;
  /** How long a users.info answer is trusted; a changed email takes effect after this. */
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

/**
 * Maps a Slack user to a Countersign user: by the directory's explicit `slack_id` first, then,
 * if allowed, by email from users.info (https://docs.slack.dev/reference/methods/users.info,
 * scope users:read.email). An email is only as good as Slack's proof of it, so the email path
 * refuses deleted accounts, bots, external (Slack Connect) accounts, accounts of any workspace
 * but the installing one (`team_id` from config, else from auth.test), and any address Slack
 * does not positively report as confirmed (`is_email_confirmed` must be `true`; absent is
 * refused: fail closed). A directory user who
 * has an explicit `slack_id` is never reached by email from another Slack account, and an
 * email shared by two directory users maps to nobody.
 */
export class SlackIdentityMapper {
  readonly #bySlackId = new Map<string, User>();
  readonly #byEmail = new Map<string, User | null>();
  readonly #infos: TtlCache<SlackUser | null>;
  readonly #ids: TtlCache<string | null>;
  #team: Promise<string> | undefined;

  constructor(
    directory: Directory,
    private readonly api: SlackApi,
    private readonly options: SlackIdentityOptions,
  ) {
    for (const user of directory.users.values()) {
      if (user.slack_id !== undefined) this.#bySlackId.set(user.slack_id, user);
      if (user.email === undefined) continue;
      const email = user.email.toLowerCase();
      this.#byEmail.set(email, this.#byEmail.has(email) ? null : user);
    }
    const ttl = options.ttlMs ?? 5 * 60_000;
    const max = options.maxEntries ?? 1000;
    this.#infos = new TtlCache(ttl, max, options.now ?? Date.now);
    this.#ids = new TtlCache(ttl, max, options.now ?? Date.now);
  }

  /** The directory user behind Slack user `slackUserId`. Throws only if Slack cannot be asked. */
  async resolve(slackUserId: string): Promise<SlackIdentity> {
    const explicit = this.#bySlackId.get(slackUserId);
    if (explicit) return { ok: true, user: explicit };
    const unmapped = `your Slack account (${slackUserId}) is not linked to a Countersign user`;
    if (!this.options.emailMapping) return { ok: false, reason: unmapped };
    let info = this.#infos.get(slackUserId);
    if (info === undefined) {
      info = (await this.api.userInfo(slackUserId)) ?? null;
      this.#infos.set(slackUserId, info);
    }
    const email = info && this.trustedEmail(info, await this.team());
    if (!email) {
      return { ok: false, reason: `${unmapped}, and Slack has no confirmed email for it` };
    }
    const user = this.#byEmail.get(email);
    if (!user || (user.slack_id !== undefined && user.slack_id !== slackUserId)) {
      return { ok: false, reason: `${unmapped} (no single user has its email)` };
    }
    return { ok: true, user };
  }

  /** The Slack user id to DM `user` at: `slack_id`, else looked up by email. */
  async slackIdOf(user: User): Promise<string | undefined> {
    if (user.slack_id !== undefined) return user.slack_id;
    if (!this.options.emailMapping || user.email === undefined) return undefined;
    const email = user.email.toLowerCase();
    if (this.#byEmail.get(email) !== user) return undefined;
    let id = this.#ids.get(email);
    if (id === undefined) {
      const found = await this.api.lookupByEmail(email);
      const team = await this.team();
      id = found?.id !== undefined && this.trustedEmail(found, team) === email ? found.id : null;
      this.#ids.set(email, id);
    }
    // Only someone who would also map back to this user on a click gets the DM.
    return id !== null && !this.#bySlackId.has(id) ? id : undefined;
  }

  /** The installing workspace: configured, or auth.test's answer (a failure is not kept). */
  workspace(): Promise<string> {
    return this.team();
  }

  private team(): Promise<string> {
    if (this.options.teamId !== undefined) return Promise.resolve(this.options.teamId);
    this.#team ??= this.api.teamId().catch((e: unknown) => {
      this.#team = undefined;
      throw e;
    });
    return this.#team;
  }

  /** The account's email in lower case if it may identify a person, else undefined. */
  private trustedEmail(info: SlackUser, team: string): string | undefined {
    const email = info.profile?.email;
    if (typeof email !== 'string' || email === '') return undefined;
    if (info.deleted || info.is_bot || info.is_stranger) return undefined;
    // Only Slack's positive statement counts: an absent flag is not a confirmation.
    if (info.is_email_confirmed !== true) return undefined;
    if (info.team_id !== team) return undefined;
    return email.toLowerCase();
  }
}

/** A small map whose entries expire, bounded by dropping the oldest. */
class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly now: () => number,
  ) {}

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until > this.now()) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, until: this.now() + this.ttlMs });
    if (this.#entries.size > this.max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }
}
