import type { SlackApi } from './slack-api.js';
import type { SlackFollowUps } from './slack-followups.js';
import type { SlackMetrics } from './slack-metrics.js';
import { cutUtf16, inertLine } from '@countersign/core';
import { escapeMrkdwn } from './slack-text.js';
import { SLACK_LIMITS } from './slack-limits.js';

/** Where a clicker can be answered: the conversation and user, and the click's response_url. */
export interface ReplyTo {
  channel: string | undefined;
  user: string | undefined;
  responseUrl: string | undefined;
}

/**
 * Answers to a clicker, after the acknowledgement: chat.postEphemeral in the conversation of
 * the click, else the click's `response_url` (which needs no channel membership and no user
 * id). An answer that reaches neither is logged and counted (`lostReplies`): a click is never
 * dropped without a trace.
 */
export class SlackReplies {
  constructor(
    private readonly api: SlackApi,
    private readonly metrics: SlackMetrics,
    private readonly onError: (e: unknown) => void,
  ) {}

  tell(to: ReplyTo, text: string, followUps: SlackFollowUps): void {
    // Mrkdwn: our words, but they can quote ids and the vote service's messages.
    const safe = cutUtf16(escapeMrkdwn(inertLine(text)), SLACK_LIMITS.messageText);
    followUps.run(() => this.deliver(to, safe));
  }

  private async deliver(to: ReplyTo, text: string): Promise<void> {
    const errors: unknown[] = [];
    if (to.channel !== undefined && to.user !== undefined) {
      try {
        return await this.api.postEphemeral(to.channel, to.user, text);
      } catch (e) {
        errors.push(e);
      }
    }
    if (to.responseUrl !== undefined) {
      try {
        return await this.api.respond(to.responseUrl, text);
      } catch (e) {
        errors.push(e);
      }
    }
    this.metrics.lostReplies.inc();
    const why = errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
    this.onError(new Error(`slack: could not answer a clicker (${why || 'nowhere to answer'})`));
  }
}
