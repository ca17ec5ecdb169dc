import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { Type } from 'typebox';
import { Directory } from '../config/directory.js';
import type { Notifier } from '../notify/notifier.js';
import type { Database } from '../storage/schema.js';
import type { ChannelBase, ChannelFactory, ChannelServices } from './channel-factory.js';
import { openChannels } from './open-channels.js';
import { resolveChannel, type ResolvedChannel } from './resolved-channel.js';

const BASE: ChannelBase = {
  directory: new Directory({}),
  // Never touched by these channels: they only record what the gateway hands them.
  db: {} as Kysely<Database>,
  publicUrl: 'https://cs.example',
  log: { error: () => undefined, warn: () => undefined },
  metrics: new Registry(),
  now: () => 0,
};

const SERVICES = {
  find: () => Promise.resolve(undefined),
  record: () => Promise.resolve(),
} as unknown as Omit<ChannelServices, 'onError'>; // votes/actions: never called here

const notifier = (name: string): Notifier => ({
  name,
  wants: () => false,
  deliver: () => Promise.resolve({ ok: true }),
});

/** A test channel: what it was given and when, recorded in `log`. */
function testChannel(
  name: string,
  log: string[],
  extra: { stop?: () => Promise<void>; refuses?: string; inbound?: boolean } = {},
): ResolvedChannel {
  const factory: ChannelFactory<{ on: boolean }, { on: boolean }> = {
    name,
    configPath: ['channels', name],
    configSchema: Type.Object({ on: Type.Boolean() }),
    resolve: (raw) => raw,
    create(settings, base) {
      log.push(`${name}: create ${String(settings.on)} ${base.publicUrl}`);
      return {
        notifiers: [notifier(name)],
        ...(extra.refuses === undefined
          ? {}
          : {
              callbackPolicy: {
                refusal: (url: string) =>
                  url.includes(extra.refuses!) ? `${name} says no` : undefined,
              },
            }),
        ...(extra.inbound === false
          ? {}
          : {
              connect(services: ChannelServices) {
                log.push(`${name}: connect`);
                services.onError(new Error(`${name} hiccup`));
                return {
                  routes: async () => undefined,
                  start: () => log.push(`${name}: start`),
                  stop: extra.stop ?? (async () => void log.push(`${name}: stop`)),
                };
              },
            }),
      };
    },
  };
  const resolved = resolveChannel(
    factory,
    { on: true },
    {
      env: {},
      where: () => 'config',
      problems: [],
      directory: BASE.directory,
    },
  );
  assert.ok(resolved);
  return resolved;
}

describe('openChannels: the gateway loops over channels it does not name', () => {
  test('creates, connects, starts and stops every channel in order; routes collected', async () => {
    const log: string[] = [];
    const errors: string[] = [];
    const open = openChannels(
      [testChannel('a', log), testChannel('b', log, { inbound: false }), testChannel('c', log)],
      BASE,
    );
    assert.deepEqual(
      open.notifiers.map((n) => n.name),
      ['a', 'b', 'c'],
    );
    const runtime = open.connect(SERVICES, (channel, e) =>
      errors.push(`${channel}: ${(e as Error).message}`),
    );
    assert.equal(runtime.routes.length, 2);
    runtime.start();
    await runtime.stop();
    assert.deepEqual(log, [
      'a: create true https://cs.example',
      'b: create true https://cs.example',
      'c: create true https://cs.example',
      'a: connect',
      'c: connect',
      'a: start',
      'c: start',
      'a: stop',
      'c: stop',
    ]);
    // Each channel's errors are reported under its own name.
    assert.deepEqual(errors, ['a: a hiccup', 'c: c hiccup']);
  });

  test("one channel's failure to stop is reported and does not keep the others running", async () => {
    const log: string[] = [];
    const errors: string[] = [];
    const open = openChannels(
      [
        testChannel('a', log, { stop: () => Promise.reject(new Error('stuck socket')) }),
        testChannel('b', log),
      ],
      BASE,
    );
    const runtime = open.connect(SERVICES, (channel, e) =>
      errors.push(`${channel}: ${(e as Error).message}`),
    );
    await runtime.stop();
    assert.ok(log.includes('b: stop'));
    assert.ok(errors.includes('a: stuck socket'));
  });

  test('a callback_url is refused when any channel refuses it, and when none delivers callbacks', () => {
    const log: string[] = [];
    const both = openChannels(
      [testChannel('a', log, { refuses: 'internal' }), testChannel('b', log, { refuses: 'evil' })],
      BASE,
    ).callbackPolicy;
    assert.equal(both.refusal('https://agent.example/cb'), undefined);
    assert.equal(both.refusal('https://internal.example/cb'), 'a says no');
    assert.equal(both.refusal('https://evil.example/cb'), 'b says no');
    const none = openChannels([testChannel('a', log)], BASE).callbackPolicy;
    assert.match(none.refusal('https://agent.example/cb') ?? '', /callbacks are disabled/);
  });
});
