import type { PlainTextElement } from '@slack/types';

/**
 * Text for Slack messages. Slack's mrkdwn treats `<…>` as control sequences (links, `<!channel>`
 * mentions, user pings) and asks apps to escape `&`, `<` and `>`
 * (https://docs.slack.dev/messaging/formatting-message-text#escaping). Requests carry text an
 * agent wrote, and an agent may be prompt-injected: unescaped, a justification could notify the
 * whole channel or show a "click here to approve" link to a phishing page. Every agent-supplied
 * string goes through `mrkdwn`, and every one is cut to Slack's limits.
 * @module
 */

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Escaped for mrkdwn, and cut to `max` characters. */
export function mrkdwn(text: string, max: number): string {
  return truncate(text, max)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;');
}

/** A plain_text object (no markup at all); emoji codes such as `:alarm_clock:` render. */
export function plain(text: string, max: number): PlainTextElement {
  return { type: 'plain_text', text: truncate(text, max), emoji: true };
}

/**
 * A time each reader sees in their own time zone, with a UTC fallback for clients that cannot
 * (https://docs.slack.dev/messaging/formatting-message-text#date-formatting).
 */
export function slackDate(iso: string | null): string {
  if (iso === null) return '—';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '—';
  const fallback = `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${fallback}>`;
}

/**
 * The params as pretty JSON in a code block, cut to `max` characters. Backticks are replaced
 * so a value cannot close the block early and have the rest read as formatting.
 */
export function formatParams(params: unknown, max: number): string {
  const json = JSON.stringify(params, null, 2) ?? 'null';
  const cut = json.length > max ? `${json.slice(0, max)}\n… (truncated)` : json;
  return `\`\`\`${cut.replaceAll('`', 'ˋ').replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')}\`\`\``;
}
