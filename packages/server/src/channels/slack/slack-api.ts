import { AsyncLocalStorage } from 'node:async_hooks';
import type { KnownBlock, ModalView } from '@slack/types';
import {
  LogLevel,
  WebAPIPlatformError,
  WebClient,
  type Logger,
  type UsersInfoResponse,
} from '@slack/web-api';

/** A message as the notifier renders it: fallback text for notifications, and blocks. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** The Slack user fields identity mapping looks at (users.info, users.lookupByEmail). */
export type SlackUser = NonNullable<UsersInfoResponse['user']>;

/** Where log lines of the Web API client go (the gateway's logger). */
export interface SlackLog {
  error(msg: string): void;
}

/**
 * A failed Web API call, classified. `retry: false` for answers that will not change by
 * asking again (a channel that does not exist, a message too long); everything else (HTTP
 * errors, timeouts, rate limits, Slack's own outages, a revoked token an operator may fix) is
 * retried by the outbox with backoff.
 */
export class SlackCallError extends Error {
  constructor(
    readonly method: string,
    /** Slack's `error` string (`channel_not_found`), or undefined for transport failures. */
    readonly slackError: string | undefined,
    readonly retry: boolean,
    message: string,
  ) {
    super(message);
  }
}

// https://docs.slack.dev/reference/methods/chat.postMessage#errors and chat.update#errors
const PERMANENT = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'msg_too_long',
  'invalid_blocks',
  'invalid_blocks_format',
  'cant_update_message',
  'edit_window_closed',
  'message_not_found',
  'user_not_found',
  'users_not_found',
  'user_not_visible',
  'user_disabled',
  'cannot_dm_bot',
  'restricted_action',
]);

/**
 * The Web API calls Countersign makes, through Slack's maintained client. The client's own
 * retries are off (`retries: 0`, rate-limited calls rejected): one call is one attempt, and the
 * outbox owns retrying, so a slow Slack never holds a delivery slot for half an hour.
 */
export class SlackApi {
  readonly #client: WebClient;
  /** The abort signal of the delivery attempt the current call belongs to. */
  readonly #signal = new AsyncLocalStorage<AbortSignal>();

  private readonly apiUrl: string;
  private readonly timeoutMs: number;

  constructor(token: string, options: { apiUrl: string; timeoutMs: number; log?: SlackLog }) {
    this.apiUrl = options.apiUrl;
    this.timeoutMs = options.timeoutMs;
    this.#client = new WebClient(token, {
      slackApiUrl: options.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: options.timeoutMs,
      // Method names are ours, never URLs: nothing can point the client elsewhere.
      allowAbsoluteUrls: false,
      logger: quietLogger(options.log),
      // The client takes no per-call signal; this fetch adds the attempt's (see `during`).
      fetch: (url, init) => {
        const attempt = this.#signal.getStore();
        const own = init?.signal;
        const signal = attempt && own ? AbortSignal.any([attempt, own]) : (attempt ?? own);
        return fetch(url, { ...init, signal });
      },
    });
  }

  /**
   * Runs `work` with every Web API call in it bound to `signal`. When the outbox gives up on
   * an attempt (timeout, shutdown), its calls in flight are cut at once, so an abandoned
   * attempt cannot keep writing message references while the next attempt already runs.
   */
  during<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    return this.#signal.run(signal, work);
  }

  async postMessage(
    channel: string,
    message: SlackMessage,
    threadTs?: string,
  ): Promise<{ channel: string; ts: string }> {
    const res = await this.call('chat.postMessage', () =>
      this.#client.chat.postMessage({
        channel,
        text: message.text,
        ...(message.blocks.length > 0 ? { blocks: message.blocks } : {}),
        // Agent-supplied text must not ping @channel or unfurl links into previews.
        unfurl_links: false,
        unfurl_media: false,
        ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
      }),
    );
    if (typeof res.channel !== 'string' || typeof res.ts !== 'string') {
      throw new SlackCallError('chat.postMessage', undefined, true, 'no channel or ts in answer');
    }
    return { channel: res.channel, ts: res.ts };
  }

  async update(channel: string, ts: string, message: SlackMessage): Promise<void> {
    await this.call('chat.update', () =>
      this.#client.chat.update({ channel, ts, text: message.text, blocks: message.blocks }),
    );
  }

  async postEphemeral(channel: string, user: string, text: string): Promise<void> {
    await this.call('chat.postEphemeral', () =>
      this.#client.chat.postEphemeral({ channel, user, text }),
    );
  }

  /** The account, or undefined when Slack has no such user. */
  async userInfo(user: string): Promise<SlackUser | undefined> {
    try {
      const res = await this.call('users.info', () => this.#client.users.info({ user }));
      return res.user;
    } catch (e) {
      if (e instanceof SlackCallError && e.slackError === 'user_not_found') return undefined;
      throw e;
    }
  }

  async lookupByEmail(email: string): Promise<SlackUser | undefined> {
    try {
      const res = await this.call('users.lookupByEmail', () =>
        this.#client.users.lookupByEmail({ email }),
      );
      return res.user;
    } catch (e) {
      if (e instanceof SlackCallError && e.slackError === 'users_not_found') return undefined;
      throw e;
    }
  }

  /** The DM channel with `user` (conversations.open is idempotent: the same id each time). */
  async openDm(user: string): Promise<string> {
    const res = await this.call('conversations.open', () =>
      this.#client.conversations.open({ users: user }),
    );
    const id = res.channel?.id;
    if (typeof id !== 'string') {
      throw new SlackCallError('conversations.open', undefined, true, 'no channel id in answer');
    }
    return id;
  }

  /** The workspace the bot token belongs to (https://docs.slack.dev/reference/methods/auth.test). */
  async teamId(): Promise<string> {
    const res = await this.call('auth.test', () => this.#client.auth.test());
    if (typeof res.team_id !== 'string') {
      throw new SlackCallError('auth.test', undefined, true, 'no team_id in answer');
    }
    return res.team_id;
  }

  /**
   * Answers a click through its `response_url`
   * (https://docs.slack.dev/interactivity/handling-user-interaction#message_responses): the
   * way to reach a clicker when chat.postEphemeral cannot. Only Slack's own hosts (or the
   * configured API's, for tests and proxies) are called: the URL arrives in a payload.
   */
  async respond(responseUrl: string, text: string): Promise<void> {
    if (!this.#respondable(responseUrl)) {
      throw new SlackCallError('response_url', 'bad_url', false, 'response_url: not a Slack URL');
    }
    const res = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok)
      throw new SlackCallError('response_url', undefined, true, `response_url: HTTP ${res.status}`);
  }

  #respondable(url: string): boolean {
    try {
      const u = new URL(url);
      return (
        (u.protocol === 'https:' && u.hostname === 'hooks.slack.com') ||
        u.origin === new URL(this.apiUrl).origin
      );
    } catch {
      return false;
    }
  }

  async openView(triggerId: string, view: ModalView): Promise<void> {
    await this.call('views.open', () => this.#client.views.open({ trigger_id: triggerId, view }));
  }

  private async call<T>(method: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      if (e instanceof WebAPIPlatformError) {
        const error = e.data.error;
        // Slack says what is wrong with the blocks here (`response_metadata.messages`).
        const why = e.data.response_metadata?.messages?.slice(0, 3).join('; ');
        const message = `${method}: ${error}${why ? ` (${why})` : ''}`;
        throw new SlackCallError(method, error, !PERMANENT.has(error), message);
      }
      // A string that cannot be encoded (a lone surrogate: "URI malformed") fails the same
      // way on every attempt.
      if (e instanceof URIError)
        throw new SlackCallError(method, 'uri_malformed', false, `${method}: ${e.message}`);
      const detail = e instanceof Error ? e.message : String(e);
      throw new SlackCallError(method, undefined, true, `${method}: ${detail}`);
    }
  }
}

/** The client logs every failed call at warn; the outbox records those already. */
function quietLogger(log: SlackLog | undefined): Logger {
  let level = LogLevel.ERROR;
  const ignore = () => undefined;
  return {
    debug: ignore,
    info: ignore,
    warn: ignore,
    error: (...msg: unknown[]) => log?.error(msg.map(String).join(' ')),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: ignore,
  };
}
