import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { blockErrors, viewErrors } from './block-kit-rules.js';

/** One Web API call as the fake saw it. */
export interface SlackCall {
  method: string;
  args: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- Slack's JSON-encoded arguments
  token: string | undefined;
  at: number;
}

/** A message the fake holds, with every version chat.update gave it. */
export interface FakeMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  blocks: any[]; // eslint-disable-line @typescript-eslint/no-explicit-any -- Block Kit JSON
  versions: number;
}

export interface FakeSlackUser {
  id: string;
  team_id?: string;
  deleted?: boolean;
  is_bot?: boolean;
  is_stranger?: boolean;
  /** Slack sends it only with users:read.email; absent here means absent in the answer. */
  is_email_confirmed?: boolean;
  profile: { email?: string; real_name?: string };
}

/** How the fake answers: normally, HTTP 500 (`down`), or never (`hang`, until released). */
export type FakeMode = 'ok' | 'down' | 'hang';

/**
 * A fake Slack Web API on 127.0.0.1 for offline tests, reached by the real @slack/web-api
 * client through its `slackApiUrl`. It implements the methods Countersign calls, with the
 * shapes of https://docs.slack.dev/reference/methods (`{ok: true, …}` or `{ok: false, error}`),
 * and a Socket Mode endpoint: apps.connections.open answers a ws:// URL on the same server.
 */
export interface FakeSlack {
  url: string;
  calls: SlackCall[];
  messages: FakeMessage[];
  users: Map<string, FakeSlackUser>;
  mode: FakeMode;
  /** Answers the hanging calls normally. */
  release(): void;
  /** How many calls are hanging now. */
  hanging(): number;
  /** Sends an interaction envelope over Socket Mode; resolves with the app's ack payload. */
  socketInteract(payload: unknown): Promise<Record<string, unknown>>;
  socketConnected(): boolean;
  callsOf(method: string): SlackCall[];
  /** Bodies POSTed to response URLs (see `responseUrl`). */
  responses: Array<Record<string, unknown>>;
  /** A response_url on this fake, as Slack puts in interaction payloads. */
  responseUrl(): string;
  /** Refuse calls of `method` with `error` (or throw nothing: undefined clears it). */
  failing: Map<string, string>;
  close(): Promise<void>;
}

/** The installing workspace (auth.test). */
export const FAKE_TEAM = 'T0TEST';

/**
 * A trigger_id as Slack puts in an interaction payload. The fake reads the issue time from its
 * first part (real ids are opaque): views.open takes it once, within 3 s
 * (https://docs.slack.dev/interactivity/handling-user-interaction#modal_responses).
 */
export function triggerId(issuedAtMs = Date.now()): string {
  return `${issuedAtMs}.${Math.floor(Math.random() * 1e9)}.${Math.random().toString(16).slice(2, 14)}`;
}
const TRIGGER_TTL_MS = 3000;

export const BOT_TOKEN = 'xoxb-test-bot-token';
export const APP_TOKEN = 'xapp-test-app-token';

export async function startFakeSlack(): Promise<FakeSlack> {
  let seq = 0;
  const hanging: Array<() => void> = [];
  const sockets = new Set<WebSocket>();
  const acks = new Map<string, (payload: Record<string, unknown>) => void>();
  const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;
  const channelId = (c: string) =>
    c.startsWith('#')
      ? `C${c
          .slice(1)
          .toUpperCase()
          .replace(/[^A-Z0-9]/g, '')}`
      : c;

  const usedTriggers = new Set<string>();
  const self: FakeSlack = {
    url: '',
    calls: [],
    responses: [],
    responseUrl: () => `${self.url.replace(/\/api\/$/, '')}/actions/${FAKE_TEAM}/${++seq}/response`,
    failing: new Map(),
    messages: [],
    users: new Map(),
    mode: 'ok',
    release() {
      for (const go of hanging.splice(0)) go();
    },
    hanging: () => hanging.length,
    async socketInteract(payload) {
      const [socket] = sockets;
      if (!socket) throw new Error('no Socket Mode connection');
      const envelope_id = `env-${++seq}`;
      const acked = new Promise<Record<string, unknown>>((resolve) =>
        acks.set(envelope_id, resolve),
      );
      socket.send(
        JSON.stringify({
          envelope_id,
          type: 'interactive',
          payload,
          accepts_response_payload: true,
        }),
      );
      return acked;
    },
    socketConnected: () => sockets.size > 0,
    callsOf: (method) => self.calls.filter((c) => c.method === method),
    async close() {
      self.release();
      for (const s of sockets) s.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const api = (call: SlackCall): Record<string, unknown> => {
    const a = call.args;
    const bot = call.token === BOT_TOKEN;
    if (call.method === 'apps.connections.open') {
      if (call.token !== APP_TOKEN) return { ok: false, error: 'invalid_auth' };
      return { ok: true, url: `${self.url.replace(/^http:(.*)\/api\/$/, 'ws:$1')}/socket` };
    }
    if (!bot) return { ok: false, error: 'invalid_auth' };
    const failure = self.failing.get(call.method);
    if (failure !== undefined) return { ok: false, error: failure };
    // Slack validates blocks before anything else and refuses the whole call.
    if (call.method === 'chat.postMessage' || call.method === 'chat.update') {
      const text = a.text === undefined ? '' : String(a.text);
      if (text.length > 40_000) return { ok: false, error: 'msg_too_long' };
      if (a.blocks !== undefined) {
        const errors = blockErrors(a.blocks, 'message');
        if (errors.length > 0) {
          return { ok: false, error: 'invalid_blocks', response_metadata: { messages: errors } };
        }
      } else if (text === '') return { ok: false, error: 'no_text' };
    }
    switch (call.method) {
      case 'auth.test':
        return { ok: true, team_id: FAKE_TEAM, user_id: 'U0BOT', bot_id: 'B0BOT' };
      case 'chat.postMessage': {
        if (a.channel === 'C404') return { ok: false, error: 'channel_not_found' };
        const message: FakeMessage = {
          channel: channelId(String(a.channel)),
          ts: nextTs(),
          text: String(a.text ?? ''),
          blocks: Array.isArray(a.blocks) ? a.blocks : [],
          versions: 1,
          ...(a.thread_ts ? { thread_ts: String(a.thread_ts) } : {}),
        };
        self.messages.push(message);
        return { ok: true, channel: message.channel, ts: message.ts, message: { ts: message.ts } };
      }
      case 'chat.update': {
        const m = self.messages.find((x) => x.channel === a.channel && x.ts === a.ts);
        if (!m) return { ok: false, error: 'message_not_found' };
        m.text = String(a.text ?? '');
        m.blocks = Array.isArray(a.blocks) ? a.blocks : [];
        m.versions++;
        return { ok: true, channel: m.channel, ts: m.ts };
      }
      case 'chat.postEphemeral':
        if (typeof a.text !== 'string' || a.text === '') return { ok: false, error: 'no_text' };
        if (a.text.length > 40_000) return { ok: false, error: 'msg_too_long' };
        return { ok: true, message_ts: nextTs() };
      case 'users.info': {
        const user = self.users.get(String(a.user));
        return user ? { ok: true, user } : { ok: false, error: 'user_not_found' };
      }
      case 'users.lookupByEmail': {
        const user = [...self.users.values()].find((u) => u.profile.email === a.email);
        return user ? { ok: true, user } : { ok: false, error: 'users_not_found' };
      }
      case 'conversations.open':
        return { ok: true, channel: { id: `D${String(a.users)}` } };
      case 'views.open': {
        const trigger = String(a.trigger_id ?? '');
        const issued = /^(\d{13})\.\d+\.[0-9a-f]+$/.exec(trigger);
        if (!issued || usedTriggers.has(trigger)) return { ok: false, error: 'invalid_trigger_id' };
        if (Date.now() - Number(issued[1]) > TRIGGER_TTL_MS) {
          return { ok: false, error: 'expired_trigger_id' };
        }
        usedTriggers.add(trigger);
        const errors = viewErrors(a.view);
        if (errors.length > 0) {
          return { ok: false, error: 'invalid_arguments', response_metadata: { messages: errors } };
        }
        return { ok: true, view: { id: `V${++seq}` } };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if ((req.url ?? '').startsWith('/actions/')) {
        // A response_url: Slack answers 200 "ok" and shows the message to the clicker.
        self.responses.push(
          JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        );
        res.writeHead(200).end('ok');
        return;
      }
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
      const call: SlackCall = {
        method,
        args: parseArgs(req.headers['content-type'], Buffer.concat(chunks).toString('utf8')),
        token: /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1],
        at: Date.now(),
      };
      const answer = () => {
        self.calls.push(call);
        if (self.mode === 'down' && method !== 'apps.connections.open') {
          res.writeHead(500).end('internal error');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(api(call)));
      };
      if (self.mode === 'hang') hanging.push(answer);
      else answer();
    });
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString('utf8')) as {
          envelope_id?: string;
          payload?: Record<string, unknown>;
        };
        const resolve = msg.envelope_id ? acks.get(msg.envelope_id) : undefined;
        resolve?.(msg.payload ?? {});
      });
      // https://docs.slack.dev/apis/events-api/using-socket-mode: a new connection starts with hello.
      ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake' } }));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  self.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  return self;
}

/** The Web API accepts form-encoded arguments (objects JSON-encoded inside) or JSON. */
function parseArgs(type: string | undefined, body: string): Record<string, unknown> {
  if (body === '') return {};
  if (type?.startsWith('application/json')) return JSON.parse(body) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    out[k] = /^[[{]/.test(v) ? (JSON.parse(v) as unknown) : v;
  }
  return out;
}
