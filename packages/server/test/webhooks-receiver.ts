import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ActionRecord } from '@countersign/core';

/** One request as the receiver saw it. */
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** The status it was answered with (undefined while hanging). */
  status?: number;
}

/** What to answer the n-th request (0-based): a status, or `hang` until `release()`. */
export type Answer = (n: number, req: Received) => number | 'hang';

/** A real HTTP receiver on 127.0.0.1, port 0, recording everything it is sent. */
export interface Receiver {
  url: string;
  received: Received[];
  answer: Answer;
  /** Answers every hanging request with 200. */
  release(): void;
  /** Resolves once `n` requests have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(answer: Answer = () => 200): Promise<Receiver> {
  const hanging: Array<{ res: ServerResponse; req: Received }> = [];
  const self: Receiver = {
    url: '',
    received: [],
    answer,
    release() {
      for (const h of hanging.splice(0)) {
        h.req.status = 200;
        h.res.writeHead(200).end();
      }
    },
    async waitFor(n, timeoutMs = 10_000) {
      await until(() => self.received.length >= n, timeoutMs, `${n} requests at the receiver`);
    },
    async close() {
      self.release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const got: Received = {
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      const n = self.received.push(got) - 1;
      const a = self.answer(n, got);
      if (a === 'hang') {
        hanging.push({ res, req: got });
        return;
      }
      got.status = a;
      res.writeHead(a).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  self.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return self;
}

/** Polls `check` until it holds; fails the test with `what` after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A request record for driving the dispatcher directly (not stored in `actions`). */
export function fakeRecord(overrides: Partial<ActionRecord> = {}): ActionRecord {
  const now = Date.now();
  return {
    id: `act_test${Math.random().toString(36).slice(2, 14)}`,
    agent_id: 'exporter',
    idempotency_key: null,
    action: 'db.export',
    resource: 'postgres://prod/customers',
    environment: 'production',
    params: { rows: 20000 },
    justification: 'quarterly report',
    risk: 'high',
    on_behalf_of: null,
    context: null,
    callback_url: null,
    digest: 'sha256:00',
    status: 'pending',
    decision: 'require_approval',
    reason: 'needs two data owners',
    rules: ['prod-large-export'],
    trace: [],
    approval: null,
    policy_version: 'sha256:11',
    created_at: now,
    updated_at: now,
    expires_at: now + 60_000,
    decided_at: null,
    result: null,
    escalate_at: null,
    escalated_rules: [],
    break_glass: false,
    grant: null,
    ...overrides,
  };
}

export const SECRET = 'test-webhook-secret-0123456789';
export const CALLBACK_SECRET = 'test-callback-secret-0123456789';
