import { SocketModeClient, LogLevel, type Logger } from '@slack/socket-mode';
import { canonicalJson, voteEvidence, type JsonValue } from '@countersign/core';
import type { SlackInteractions } from './slack-interactions.js';
import type { SlackReplayCache } from './slack-replay-cache.js';
import { get, str } from './slack-payload.js';

export interface SlackSocketModeOptions {
  appToken: string;
  apiUrl: string;
  interactions: SlackInteractions;
  replay: SlackReplayCache;
  onError: (e: unknown) => void;
  now?: () => number;
  /** First reconnect delay; doubles up to 60 s while Slack cannot be reached. */
  reconnectMs?: number;
}

/**
 * Socket Mode (https://docs.slack.dev/apis/events-api/using-socket-mode): for gateways with no
 * public ingress. apps.connections.open, called with the app-level token, returns a wss URL;
 * Slack sends each interaction over it in an envelope, and the app acknowledges it by
 * `envelope_id` (with the same answer body HTTP mode would return). No request signing is
 * involved: the connection itself is authenticated. Interactions go to the same handler as
 * HTTP mode. Evidence is the SHA-256 of the payload's RFC 8785 canonical JSON, since the
 * client hands over the parsed envelope rather than its bytes; envelope ids are accepted
 * once, so a redelivered envelope is acknowledged and ignored.
 *
 * The client's own reconnect is off: when apps.connections.open fails during one of its
 * reconnects, the rejection escapes (an unhandled rejection ends a Node process). Reconnecting
 * is done here instead, with backoff, and never stops the gateway.
 */
export class SlackSocketMode {
  readonly #client: SocketModeClient;
  readonly #now: () => number;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #delay: number;
  #starting: Promise<unknown> | undefined;

  constructor(private readonly options: SlackSocketModeOptions) {
    this.#now = options.now ?? Date.now;
    this.#delay = options.reconnectMs ?? 1000;
    this.#client = new SocketModeClient({
      appToken: options.appToken,
      autoReconnectEnabled: false,
      logger: silent(),
      clientOptions: { slackApiUrl: options.apiUrl, retryConfig: { retries: 0 } },
    });
    this.#client.on('interactive', (event: unknown) => void this.onInteractive(event));
    this.#client.on('connected', () => {
      this.#delay = options.reconnectMs ?? 1000;
    });
    this.#client.on('disconnected', () => this.reconnectLater());
  }

  /** Connects in the background; a Slack that cannot be reached is retried, not fatal. */
  start(): void {
    this.#stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#starting?.catch(() => undefined);
    await this.#client.disconnect();
  }

  private connect(): void {
    if (this.#stopped || this.#starting) return;
    this.#starting = this.#client
      .start()
      .catch((e: unknown) => {
        this.options.onError(e);
        this.reconnectLater();
      })
      .finally(() => {
        this.#starting = undefined;
      });
  }

  private reconnectLater(): void {
    if (this.#stopped || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.connect();
    }, this.#delay);
    this.#timer.unref();
    this.#delay = Math.min(this.#delay * 2, 60_000);
  }

  private async onInteractive(event: unknown): Promise<void> {
    const ack = get(event, 'ack');
    const envelope = str(event, 'envelope_id');
    const body = get(event, 'body');
    if (typeof ack !== 'function' || envelope === undefined) return;
    const send = ack as (response?: Record<string, unknown>) => Promise<void>;
    try {
      const fresh = await this.options.replay.accept(`env:${envelope}`, this.#now() + 15 * 60_000);
      if (!fresh) return await send();
      const evidence = voteEvidence(canonicalJson(body as JsonValue));
      const answer = await this.options.interactions.handle(body, evidence);
      await send(answer.body);
    } catch (e) {
      this.options.onError(e);
      await send().catch(() => undefined);
    }
  }
}

function silent(): Logger {
  const ignore = () => undefined;
  return {
    debug: ignore,
    info: ignore,
    warn: ignore,
    error: ignore,
    setLevel: ignore,
    getLevel: () => LogLevel.ERROR,
    setName: ignore,
  };
}
