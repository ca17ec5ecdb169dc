import type { Directory } from '../../config/directory.js';
import type { Delivery, DeliveryContext, DeliveryResult } from '../../notify/notifier.js';
import { batchOf, type ChatBatchSource } from '../chat/chat-batch.js';
import { ChatNotifier, type ChatFailure } from '../chat/chat-notifier.js';
import { SlackCallError, type SlackApi, type SlackMessage } from './slack-api.js';
import { noteFor, requestMessage } from './slack-blocks.js';
import { destinationsOf, type Destination } from './slack-destinations.js';
import type { SlackIdentityMapper } from './slack-identity.js';
import type { SlackMetrics } from './slack-metrics.js';
import {
  readMessageState,
  writeMessageState,
  type SlackMessageRef,
} from './slack-message-state.js';
import type { SlackSettings } from './slack-settings.js';

type Posted = Omit<SlackMessageRef, 'key' | 'notes'>;

/**
 * Posts a request that needs humans to its Slack destinations (channels, approvers' DMs), then
 * keeps every message it posted up to date: the shared chat loop (chat/chat-notifier.ts) with
 * Slack's parts: Block Kit messages, chat.postMessage / chat.update, escalation and expiry also
 * announced in the thread (an edit notifies nobody; a reply does), and Slack's refusals that
 * asking again cannot fix (a deleted channel, `invalid_blocks`) remembered per destination,
 * counted and logged.
 */
export class SlackNotifier extends ChatNotifier<Destination, Posted, SlackMessage> {
  constructor(
    private readonly api: SlackApi,
    identities: SlackIdentityMapper,
    settings: SlackSettings,
    directory: Directory,
    publicUrl: string,
    metrics: SlackMetrics,
    log: { warn(msg: string): void },
    alike?: ChatBatchSource,
  ) {
    super('slack', settings.delivery, {
      render: async (view) => requestMessage(view, publicUrl, await batchOf(view, alike, log)),
      destinations: (view) => destinationsOf(view, settings, directory),
      async post(dest, message) {
        const channel = await conversationOf(dest);
        return channel === undefined ? undefined : api.postMessage(channel, message);
      },
      update: (m, message) => api.update(m.channel, m.ts, message),
      failure: slackFailure,
      refused(key, failure, e, view) {
        const slackError = e instanceof SlackCallError ? e.slackError : undefined;
        metrics.refusedMessages.inc({ error: slackError ?? 'unknown' });
        log.warn(`slack refused the message of ${view.id} for ${key}: ${failure.error}`);
      },
      readState: (value) => {
        const { messages, refused } = readMessageState(value);
        return { posted: messages, refused };
      },
      writeState: ({ posted, refused }) => writeMessageState({ messages: posted, refused }),
      note(view, event) {
        const text = noteFor(view, event);
        if (text === undefined) return undefined;
        return async (m) => {
          await api.postMessage(m.channel, { text, blocks: [] }, m.ts);
        };
      },
    });

    /** A channel as configured, or an approver's DM (none for one with no Slack account). */
    async function conversationOf(dest: Destination): Promise<string | undefined> {
      if ('channel' in dest) return dest.channel;
      const slackId = await identities.slackIdOf(dest.user);
      return slackId === undefined ? undefined : api.openDm(slackId);
    }
  }

  /** Every Slack call of the attempt carries its abort signal (the client takes none per call). */
  override deliver(delivery: Delivery, context: DeliveryContext): Promise<DeliveryResult> {
    return this.api.during(context.signal, () => super.deliver(delivery, context));
  }
}

/** Slack's own verdict (slack-api.ts PERMANENT); anything not from Slack is worth a retry. */
function slackFailure(e: unknown): ChatFailure {
  const error = e instanceof Error ? e.message : String(e);
  if (!(e instanceof SlackCallError)) return { error, permanent: false, gone: false };
  return { error, permanent: !e.retry, gone: e.slackError === 'message_not_found' };
}
