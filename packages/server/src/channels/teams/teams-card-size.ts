import type { AdaptiveCard } from './teams-card.js';

/**
 * Teams refuses a message over about 28 KB, the whole activity JSON included
 * (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/format-your-bot-messages:
 * "Messages … can't exceed 28 KB"; the Bot Connector answers 413/400 and the message is
 * lost). The card alone gets 24 KiB, leaving the rest for the activity around it
 * (attachment, ids, conversation, channelData).
 */
export const TEAMS_MESSAGE_LIMIT_BYTES = 28 * 1024;
export const CARD_BUDGET_BYTES = 24 * 1024;

/** Field limits are multiplied by each of these in turn until the card fits. */
const SCALES = [1, 0.5, 0.25, 0.1] as const;

/** The size Teams counts: the card's JSON, in UTF-8 bytes. */
export function cardBytes(card: object): number {
  return Buffer.byteLength(JSON.stringify(card), 'utf8');
}

/**
 * The largest rendering of a card that fits the budget: `render(scale)` at each scale, then
 * `minimal()`, whose fields are short and fixed. Escaping happens inside each rendering
 * (escape first, then cut), so the size measured is the size sent. Throws only if even the
 * minimal card is too large, which its fixed limits rule out.
 */
export function fitCard(
  render: (scale: number) => AdaptiveCard,
  minimal: () => AdaptiveCard,
  budget = CARD_BUDGET_BYTES,
): AdaptiveCard {
  for (const scale of SCALES) {
    const card = render(scale);
    if (cardBytes(card) <= budget) return card;
  }
  const card = minimal();
  if (cardBytes(card) > budget) throw new Error(`card_too_large: ${cardBytes(card)} bytes`);
  return card;
}
