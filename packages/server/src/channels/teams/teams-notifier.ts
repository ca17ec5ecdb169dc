import type { Directory } from '../../config/directory.js';
import { batchOf, type ChatBatchSource } from '../chat/chat-batch.js';
import { ChatNotifier } from '../chat/chat-notifier.js';
import { requestCard, type AdaptiveCard } from './teams-card.js';
import { readCardState, writeCardState } from './teams-card-state.js';
import type { PostedCard, TeamsConnector } from './teams-connector.js';
import { destinationsOf, type Destination } from './teams-destinations.js';
import type { TeamsSettings } from './teams-settings.js';

/**
 * Posts a request that needs humans to its Teams destinations (team channels, approvers'
 * personal chats) as an Adaptive Card, then keeps every card it posted up to date: the shared
 * chat loop (chat/chat-notifier.ts) with Teams' parts: the card, the Bot Connector's create
 * conversation / PUT activity, a card deleted in Teams (404) forgotten, and refusals asking
 * again cannot fix (the app removed from a team, a user who blocked the bot: 403) remembered
 * per destination and logged. Teams being down or slow never delays an agent: this runs from
 * the outbox.
 */
export class TeamsNotifier extends ChatNotifier<Destination, PostedCard, AdaptiveCard> {
  constructor(
    connector: TeamsConnector,
    settings: TeamsSettings,
    directory: Directory,
    publicUrl: string,
    log?: { warn(msg: string): void },
    alike?: ChatBatchSource,
  ) {
    const warn = log ?? { warn: () => undefined };
    super('teams', settings.delivery, {
      render: async (view) =>
        requestCard(view, publicUrl, undefined, await batchOf(view, alike, warn)),
      destinations: (view) => destinationsOf(view, settings, directory),
      post: (dest, card, signal) =>
        'channel' in dest
          ? connector.postToChannel(dest.channel, card, signal)
          : connector.postToUser(dest.aadObjectId, card, signal),
      update: (posted, card, signal) => connector.updateCard(posted, card, signal),
      failure(e) {
        const { error, retry, status } = connector.failure(e);
        return { error, permanent: !retry, gone: status === 404 };
      },
      refused(key, failure, _e, view) {
        log?.warn(`teams refused the card of ${view.id} for ${key}: ${failure.error}`);
      },
      readState(value) {
        const { cards, refused } = readCardState(value);
        return { posted: cards, refused };
      },
      writeState: ({ posted, refused }) => writeCardState({ cards: posted, refused }),
    });
  }
}
