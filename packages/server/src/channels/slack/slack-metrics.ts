import { Counter, Registry } from 'prom-client';

/**
 * The Slack channel's failure counters, registered with the gateway's Prometheus registry:
 * a message Slack refuses for good, or a click the gateway could not act on or answer, must
 * show up on a dashboard, not only in a log line.
 */
export class SlackMetrics {
  /** Messages Slack refused permanently (`invalid_blocks`, `channel_not_found`…), by error. */
  readonly refusedMessages: Counter<'error'>;
  /** Clicks not acted on (malformed payload, directory lookup failed…), by reason. */
  readonly failedClicks: Counter<'reason'>;
  /** Answers to a clicker that could be delivered neither ephemerally nor via response_url. */
  readonly lostReplies: Counter;

  constructor(registry: Registry = new Registry()) {
    this.refusedMessages = new Counter({
      name: 'countersign_slack_refused_messages_total',
      help: 'Slack messages Slack refused for good, by Slack error',
      labelNames: ['error'] as const,
      registers: [registry],
    });
    this.failedClicks = new Counter({
      name: 'countersign_slack_failed_clicks_total',
      help: 'Slack interactions not acted on, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    });
    this.lostReplies = new Counter({
      name: 'countersign_slack_lost_replies_total',
      help: 'Answers to a Slack clicker that could not be delivered',
      registers: [registry],
    });
  }
}
