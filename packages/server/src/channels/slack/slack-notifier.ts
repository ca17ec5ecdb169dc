import type { ActionRecord } from '@countersign/core';
import type { Directory } from '../../config/directory.js';
import type { NotificationEvent } from '../../notify/notification.js';
import type {
  Delivery,
  DeliveryContext,
  DeliveryPolicy,
  DeliveryResult,
  Notifier,
} from '../../notify/notifier.js';
import { SlackCallError, type SlackApi } from './slack-api.js';
import { noteFor, requestMessage } from './slack-blocks.js';
import { destinationsOf, type Destination } from './slack-destinations.js';
import type { SlackIdentityMapper } from './slack-identity.js';
import type { SlackMetrics } from './slack-metrics.js';
import { readMessageState, writeMessageState } from './slack-message-state.js';
import type { SlackSettings } from './slack-settings.js';

/**
 * Posts a request that needs humans to its Slack destinations, then keeps every message it
 * posted up to date: each later event re-renders the message and replaces it in place
 * (chat.update), escalation and expiry are also announced in the thread, and the buttons go
 * once the request is decided.
 *
 * It runs from the outbox (docs/webhooks.md, "Writing a channel"): never on the request path,
 * one attempt per call, idempotent. Message references are saved right after each post, so a
 * retry updates what exists instead of posting it again; Slack's refusals that asking again
 * cannot fix (a deleted channel) are remembered per destination so they do not block the rest.
 */
export class SlackNotifier implements Notifier {
  readonly name = 'slack';
  readonly delivery: DeliveryPolicy;

  constructor(
    private readonly api: SlackApi,
    private readonly identities: SlackIdentityMapper,
    private readonly settings: SlackSettings,
    private readonly directory: Directory,
    private readonly publicUrl: string,
    private readonly metrics: SlackMetrics,
    private readonly log: { warn(msg: string): void },
  ) {
    this.delivery = settings.delivery;
  }

  /** Every event of a request that went to humans; requests decided by policy alone never. */
  wants(_event: NotificationEvent, record: ActionRecord): boolean {
    return record.approval !== null;
  }

  deliver(delivery: Delivery, context: DeliveryContext): Promise<DeliveryResult> {
    return this.api.during(context.signal, () => this.attempt(delivery, context));
  }

  private async attempt(delivery: Delivery, context: DeliveryContext): Promise<DeliveryResult> {
    const view = delivery.payload.data.action;
    const state = readMessageState(await context.state.get());
    const save = () => context.state.set(writeMessageState(state));
    const message = requestMessage(view, this.publicUrl);
    const problems: string[] = [];
    let retry = false;
    const failed = async (key: string, e: unknown) => {
      const error = e instanceof Error ? e.message : String(e);
      problems.push(`${key}: ${error}`);
      if (e instanceof SlackCallError && !e.retry) {
        // Permanent (invalid_blocks, a deleted channel): visible as a metric and a log line
        // now, and in the delivery's audit entry (`action.notified`, status failed) with
        // this reason; never retried, never silent.
        state.refused.push({ key, error });
        this.metrics.refusedMessages.inc({ error: e.slackError ?? 'unknown' });
        this.log.warn(`slack refused the message of ${view.id} for ${key}: ${error}`);
        await save();
      } else retry = true;
    };

    // New destinations: the first event, or an escalation that added reviewers. A request
    // that is no longer pending is not announced anywhere new.
    const fresh = new Set<string>();
    if (view.status === 'pending') {
      for (const dest of destinationsOf(view, this.settings, this.directory)) {
        if (context.signal.aborted) break;
        if (state.messages.some((m) => m.key === dest.key)) continue;
        if (state.refused.some((r) => r.key === dest.key)) continue;
        try {
          const channel = await this.conversationOf(dest);
          if (channel === undefined) continue; // an approver with no Slack account
          const posted = await this.api.postMessage(channel, message);
          state.messages.push({ key: dest.key, ...posted, notes: [] });
          fresh.add(dest.key);
          await save(); // before anything else can fail: a retry must not post it twice
        } catch (e) {
          await failed(dest.key, e);
        }
      }
    }

    // Every earlier message, in place. One Slack will never let us update again (deleted,
    // its channel archived) is forgotten; only a message that vanished is no error.
    for (const m of [...state.messages]) {
      if (fresh.has(m.key) || context.signal.aborted) continue;
      try {
        await this.api.update(m.channel, m.ts, message);
      } catch (e) {
        if (e instanceof SlackCallError && !e.retry) {
          state.messages = state.messages.filter((x) => x !== m);
        }
        if (e instanceof SlackCallError && e.slackError === 'message_not_found') await save();
        else await failed(m.key, e);
      }
    }

    // Escalation and expiry, also as thread replies (an edit notifies nobody; a reply does).
    const note = noteFor(view, delivery.event);
    for (const m of note === undefined ? [] : state.messages) {
      if (fresh.has(m.key) || m.notes?.includes(delivery.payload.id) || context.signal.aborted) {
        continue;
      }
      try {
        await this.api.postMessage(m.channel, { text: note ?? '', blocks: [] }, m.ts);
        m.notes = [...(m.notes ?? []), delivery.payload.id];
        await save();
      } catch (e) {
        await failed(m.key, e);
      }
    }

    if (context.signal.aborted) return { ok: false, retry: true, error: 'aborted' };
    if (problems.length === 0) return { ok: true };
    return { ok: false, retry, error: problems.join('; ') };
  }

  private async conversationOf(dest: Destination): Promise<string | undefined> {
    if ('channel' in dest) return dest.channel;
    const slackId = await this.identities.slackIdOf(dest.user);
    return slackId === undefined ? undefined : this.api.openDm(slackId);
  }
}
