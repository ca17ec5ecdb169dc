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
import { requestCard } from './teams-card.js';
import { readCardState, writeCardState } from './teams-card-state.js';
import type { ConnectorFailure, TeamsConnector } from './teams-connector.js';
import { destinationsOf } from './teams-destinations.js';
import type { TeamsSettings } from './teams-settings.js';

/**
 * Posts a request that needs humans to its Teams destinations (team channels, approvers'
 * personal chats) as an Adaptive Card, then keeps every card it posted up to date: each later
 * event renders the card again and replaces it in place (PUT activity), and the buttons go
 * once the request is decided.
 *
 * It runs from the outbox (docs/webhooks.md, "Writing a channel"): never on the request path,
 * so Teams being down or slow never delays an agent; one attempt per call; idempotent. Card
 * references are saved right after each post, so a retry updates what exists instead of
 * posting again; refusals asking again cannot fix (the app removed from a team, a user who
 * blocked the bot: 403/404) are remembered per destination so they do not block the rest.
 */
export class TeamsNotifier implements Notifier {
  readonly name = 'teams';
  readonly delivery: DeliveryPolicy;

  constructor(
    private readonly connector: TeamsConnector,
    private readonly settings: TeamsSettings,
    private readonly directory: Directory,
    private readonly publicUrl: string,
  ) {
    this.delivery = settings.delivery;
  }

  /** Every event of a request that went to humans; requests decided by policy alone never. */
  wants(_event: NotificationEvent, record: ActionRecord): boolean {
    return record.approval !== null;
  }

  async deliver(delivery: Delivery, context: DeliveryContext): Promise<DeliveryResult> {
    const view = delivery.payload.data.action;
    const state = readCardState(await context.state.get());
    const save = () => context.state.set(writeCardState(state));
    const card = requestCard(view, this.publicUrl);
    const problems: string[] = [];
    let retry = false;
    const failed = async (key: string, failure: ConnectorFailure) => {
      problems.push(`${key}: ${failure.error}`);
      if (failure.retry) retry = true;
      else {
        state.refused.push({ key, error: failure.error });
        await save();
      }
    };

    // New destinations: the first event, or an escalation that added reviewers. A request
    // that is no longer pending is not announced anywhere new.
    const fresh = new Set<string>();
    if (view.status === 'pending') {
      for (const dest of destinationsOf(view, this.settings, this.directory)) {
        if (context.signal.aborted) break;
        if (state.cards.some((c) => c.key === dest.key)) continue;
        if (state.refused.some((r) => r.key === dest.key)) continue;
        try {
          const posted =
            'channel' in dest
              ? await this.connector.postToChannel(dest.channel, card, context.signal)
              : await this.connector.postToUser(dest.aadObjectId, card, context.signal);
          state.cards.push({ key: dest.key, ...posted });
          fresh.add(dest.key);
          await save(); // before anything else can fail: a retry must not post it twice
        } catch (e) {
          await failed(dest.key, this.connector.failure(e));
        }
      }
    }

    // Every earlier card, in place; one deleted in Teams (404) is forgotten, one Teams
    // refuses for good (403: the bot was removed) is given up on.
    for (const c of [...state.cards]) {
      if (fresh.has(c.key) || context.signal.aborted) continue;
      try {
        await this.connector.updateCard(c, card, context.signal);
      } catch (e) {
        const failure = this.connector.failure(e);
        if (failure.status === 404 || !failure.retry) {
          state.cards = state.cards.filter((x) => x !== c);
          if (failure.status === 404) await save();
        }
        if (failure.status !== 404) await failed(c.key, failure);
      }
    }

    if (context.signal.aborted) return { ok: false, retry: true, error: 'aborted' };
    if (problems.length === 0) return { ok: true };
    return { ok: false, retry, error: problems.join('; ') };
  }
}
