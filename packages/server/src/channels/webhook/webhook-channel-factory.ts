/**
 * The webhook channel as a plug-in: configured endpoints and per-request callbacks. Its
 * section stays at the top level (`webhooks:`), where existing files and docs put it, and it
 * is always created: without a section it still refuses every `callback_url` on record.
 * @module
 */
import type { ChannelFactory } from '../channel-factory.js';
import { createWebhookChannel } from './index.js';
import {
  WebhooksConfigSchema,
  resolveWebhookSettings,
  type WebhookSettings,
  type WebhooksConfig,
} from './webhook-settings.js';

export const webhookChannelFactory = {
  name: 'webhook',
  configPath: ['webhooks'] as const,
  configSchema: WebhooksConfigSchema,
  resolve: (raw, { env, where, problems }) => resolveWebhookSettings(raw, env, where, problems),
  create(settings, base) {
    const { notifiers, callbacks } = createWebhookChannel(settings, base.publicUrl);
    return { notifiers, callbackPolicy: callbacks };
  },
} satisfies ChannelFactory<WebhooksConfig, WebhookSettings>;
