import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway, resolveConfig, type ConfigFile, type Gateway } from '@countersign/server';
import type { ActionRecord } from '../src/index.js';

/** Alice reviews exports, Carol restarts; root owns the agent, so neither is excluded. */
export const DIRECTORY: ConfigFile['directory'] = {
  groups: [{ id: 'data-owners' }, { id: 'sre-oncall' }],
  users: [
    { id: 'alice', email: 'alice@example.com', groups: ['data-owners'] },
    { id: 'carol', email: 'carol@example.com', groups: ['sre-oncall'] },
    { id: 'root', email: 'root@example.com', groups: [], admin: true },
  ],
  agents: [{ id: 'exporter', owners: ['root'] }],
};

export const POLICY = `version: 1
rules:
  - id: small-export
    match: { action: db.export }
    when: params.rows <= 10000
    decision: allow
  - id: big-export
    match: { action: db.export }
    when: params.rows > 10000
    require_approval: { from: [data-owners], quorum: 1 }
  - id: no-ddl
    match: { action: "db.ddl.*" }
    decision: deny
    reason: no DDL from agents
  - id: restarts
    match: { action: k8s.rollout.restart }
    require_approval: { from: [sre-oncall], timeout: 1s }
`;

export interface TestGateway {
  gateway: Gateway;
  url: string;
  port: number;
  dir: string;
  /** A fresh agent token for `exporter`. */
  agentToken(): Promise<string>;
  /** Votes through the API with a user token, as a reviewer would. */
  vote(id: string, user: string, vote: 'approve' | 'deny', comment?: string): Promise<ActionRecord>;
  /** The record as an admin sees it. */
  read(id: string): Promise<ActionRecord>;
  /** Waits until the request is in the store (the SDK submitted it). */
  pendingIds(): Promise<string[]>;
  /** Stops; with `keep`, the store survives for `restart()`. */
  close(options?: { keep?: boolean }): Promise<void>;
  /** A new gateway on the same store and the SAME port. */
  restart(): Promise<TestGateway>;
}

/** Starts a real gateway on loopback (port 0 = any free port). */
export async function startGateway(
  options: { port?: number; dir?: string; policy?: string } = {},
): Promise<TestGateway> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'countersign-sdk-'));
  const policyFile = join(dir, 'policy.yaml');
  if (!options.dir) writeFileSync(policyFile, options.policy ?? POLICY);
  const config = resolveConfig(
    {
      server: { host: '127.0.0.1', port: options.port ?? 0, log_level: 'silent' },
      data_dir: join(dir, 'data'),
      scheduler: { tick_ms: 50 },
      directory: DIRECTORY,
      policy: policyFile,
    },
    dir,
    {},
  );
  const gateway = await createGateway(config, { pollMs: 100 });
  const url = await gateway.listen();
  const port = Number(new URL(url).port);
  const user = async (id: string) => (await gateway.tokens.create('user', id)).token;
  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json as ActionRecord;
  };
  return {
    gateway,
    url,
    port,
    dir,
    async agentToken() {
      return (await gateway.tokens.create('agent', 'exporter')).token;
    },
    async vote(id, who, vote, comment) {
      return call(await user(who), 'POST', `/v1/actions/${id}/votes`, {
        vote,
        ...(comment === undefined ? {} : { comment }),
      });
    },
    async read(id) {
      return call(await user('root'), 'GET', `/v1/actions/${id}`);
    },
    async pendingIds() {
      const page = (await call(
        await user('root'),
        'GET',
        '/v1/actions?status=pending',
      )) as unknown as { items: ActionRecord[] };
      return page.items.map((r) => r.id);
    },
    async close(opts = {}) {
      // Drop every connection as a process exit would: a graceful close otherwise waits for
      // clients' keep-alive sockets (up to the server's 72 s keep-alive) after aborted polls.
      const drop = setInterval(() => gateway.app.server.closeAllConnections(), 20);
      try {
        await gateway.close();
      } finally {
        clearInterval(drop);
      }
      if (!opts.keep) rmSync(dir, { recursive: true, force: true });
    },
    restart() {
      return startGateway({ port, dir });
    },
  };
}

/** Polls `f` until it returns a truthy value (at most 10 s). */
export async function eventually<T>(f: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A port nothing listens on: a gateway that is down. */
export async function deadUrl(): Promise<string> {
  const g = await startGateway();
  const url = g.url;
  await g.close();
  return url;
}
