import type {
  ChannelBase,
  ChannelFactory,
  ChannelInstance,
  ChannelResolveContext,
} from './channel-factory.js';

/**
 * A configured channel: its factory and its resolved settings, bound together so the gateway
 * can create it without knowing either type (`GatewayConfig.channels`).
 */
export interface ResolvedChannel {
  readonly name: string;
  readonly factory: ChannelFactory<never, unknown>;
  readonly settings: unknown;
  create(base: ChannelBase): ChannelInstance;
}

/** Resolves one factory's section; `undefined` when the channel is not configured. */
export function resolveChannel<Config, Settings>(
  factory: ChannelFactory<Config, Settings>,
  raw: Config | undefined,
  context: ChannelResolveContext,
): ResolvedChannel | undefined {
  const settings = factory.resolve(raw, context);
  if (settings === undefined) return undefined;
  return {
    name: factory.name,
    factory,
    settings,
    create: (base) => factory.create(settings, base),
  };
}

/**
 * One channel's settings, typed by its factory: `channelSettings(config.channels,
 * slackChannelFactory)?.mode`. Absent when the channel is not configured.
 */
export function channelSettings<Settings>(
  channels: readonly ResolvedChannel[],
  factory: ChannelFactory<never, Settings>,
): Settings | undefined {
  // The factory that resolved an entry made its settings: they are its `Settings`.
  return channels.find((c) => c.factory === factory)?.settings as Settings | undefined;
}
