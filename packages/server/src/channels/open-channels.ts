import type { FastifyPluginAsync } from 'fastify';
import type { Notifier } from '../notify/notifier.js';
import type { ChannelBase, ChannelInstance, ChannelServices } from './channel-factory.js';
import type { ResolvedChannel } from './resolved-channel.js';

/** The configured channels as the gateway runs them: all of them, looped over, none named. */
export interface OpenChannels {
  notifiers: Notifier[];
  /** Every channel's callback policy at once: a `callback_url` any of them refuses is refused. */
  callbackPolicy: { refusal(url: string): string | undefined };
  /** The inbound halves, once the vote path exists. */
  connect(
    services: Omit<ChannelServices, 'onError'>,
    onError: (channel: string, e: unknown) => void,
  ): { routes: FastifyPluginAsync[]; start(): void; stop(): Promise<void> };
}

/**
 * Creates every configured channel (their notifiers must exist before the dispatcher, which
 * the vote path needs), and later connects their inbound halves to that vote path.
 */
export function openChannels(
  channels: readonly ResolvedChannel[],
  base: ChannelBase,
): OpenChannels {
  const open: { name: string; instance: ChannelInstance }[] = channels.map((c) => ({
    name: c.name,
    instance: c.create(base),
  }));
  const policies = open.flatMap((o) => o.instance.callbackPolicy ?? []);
  return {
    notifiers: open.flatMap((o) => o.instance.notifiers),
    callbackPolicy: {
      // Fail closed: with no channel that delivers callbacks, an agent must hear it at submit.
      refusal: (url) =>
        policies.length === 0
          ? 'callbacks are disabled: no channel delivers them'
          : policies.map((p) => p.refusal(url)).find((r) => r !== undefined),
    },
    connect(services, onError) {
      const runtimes = open.map((o) => ({
        name: o.name,
        runtime: o.instance.connect?.({ ...services, onError: (e) => onError(o.name, e) }) ?? {},
      }));
      return {
        routes: runtimes.flatMap((r) => r.runtime.routes ?? []),
        start: () => runtimes.forEach((r) => r.runtime.start?.()),
        async stop() {
          // One channel's failure to stop must not keep the others (or the store) open.
          const results = await Promise.allSettled(runtimes.map(async (r) => r.runtime.stop?.()));
          results.forEach((result, i) => {
            if (result.status === 'rejected') {
              onError(runtimes[i]?.name ?? 'channel', result.reason);
            }
          });
        },
      };
    },
  };
}
