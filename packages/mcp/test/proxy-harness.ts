import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createGateway, resolveConfig, type ConfigFile, type Gateway } from '@countersign/server';

/** The `countersign` binary: the tests drive the proxy the way an MCP host starts it. */
export const MAIN = fileURLToPath(new URL('../../../cli/dist/src/main.js', import.meta.url));
export const FIXTURE = fileURLToPath(new URL('./fixtures/fixture-server.js', import.meta.url));

export const DIRECTORY: ConfigFile['directory'] = {
  groups: [{ id: 'reviewers' }],
  users: [
    { id: 'alice', email: 'alice@example.com', groups: ['reviewers'] },
    { id: 'ops', email: 'ops@example.com', groups: [] },
    { id: 'root', email: 'root@example.com', groups: [], admin: true },
  ],
  agents: [{ id: 'desktop', owners: ['ops'] }],
};

/**
 * The read-only tool is allowed, the destructive one denied with a reason, the plain one needs
 * a reviewer (and expires in a second when the subject says so). `fixture-files` is the slug of
 * the fixture's name; `files` is the `--name` the HTTP test gives, where the allow is by risk.
 */
export const POLICY = `version: 1
defaults:
  decision: deny
rules:
  - id: read-files
    match: { action: mcp.fixture-files.read_file }
    decision: allow
  - id: read-only-files
    match: { action: "mcp.files.*" }
    when: risk == "low"
    decision: allow
  - id: never-delete-repos
    match: { action: "mcp.*.delete_repo" }
    decision: deny
    reason: Agents never delete repositories
  - id: email-review
    match: { action: "mcp.*.send_email" }
    when: params.subject != "expire"
    require_approval: { from: [reviewers], timeout: 10m }
  - id: deploy-review
    match: { action: "mcp.*.deploy" }
    require_approval: { from: [reviewers], timeout: 10m }
  - id: email-review-fast
    match: { action: "mcp.*.send_email" }
    when: params.subject == "expire"
    require_approval: { from: [reviewers], timeout: 1s }
`;

export interface TestGateway {
  gateway: Gateway;
  url: string;
  tokens: { agent: string; alice: string; root: string };
  /** A JSON call to the API; never throws on a 4xx. */
  api(
    method: string,
    path: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests assert on arbitrary JSON
  close(): Promise<void>;
}

/** A real gateway on a loopback port, with a fresh SQLite store. */
export async function startGateway(policy = POLICY): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-mcp-'));
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, policy);
  const config = resolveConfig(
    {
      server: { host: '127.0.0.1', port: 0, log_level: 'silent' },
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
  const token = async (kind: 'agent' | 'user', id: string) =>
    (await gateway.tokens.create(kind, id)).token;
  return {
    gateway,
    url,
    tokens: {
      agent: await token('agent', 'desktop'),
      alice: await token('user', 'alice'),
      root: await token('user', 'root'),
    },
    async api(method, path, bearer, body) {
      const res = await fetch(url + path, {
        method,
        headers: {
          authorization: `Bearer ${bearer}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await gateway.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Call {
  tool: string;
  arguments: Record<string, unknown>;
}

export interface ProxySession {
  client: Client;
  /** Every tool call the upstream ran, in order. */
  calls(): Call[];
  /** What the proxy (and the upstream under it) wrote to stderr. */
  stderr(): string;
  close(): Promise<void>;
}

/** A fresh call log for a fixture. */
export function callLog(): { file: string; read(): Call[] } {
  const file = join(mkdtempSync(join(tmpdir(), 'countersign-mcp-calls-')), 'calls.jsonl');
  return {
    file,
    read() {
      try {
        return readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as Call);
      } catch {
        return [];
      }
    },
  };
}

async function connect(
  command: string,
  args: string[],
  log: ReturnType<typeof callLog>,
): Promise<ProxySession> {
  const transport = new StdioClientTransport({ command, args, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'countersign-test-client', version: '0.0.0' });
  await client.connect(transport);
  return { client, calls: () => log.read(), stderr: () => stderr, close: () => client.close() };
}

/** The SDK's own client, straight to the fixture: what "the same as upstream" means. */
export function connectDirect(): Promise<ProxySession> {
  const log = callLog();
  return connect(process.execPath, [FIXTURE, log.file], log);
}

/** The SDK's own client → `countersign mcp-proxy` → the fixture over stdio. */
export function connectThroughProxy(
  gateway: { url: string; token: string },
  flags: string[] = [],
): Promise<ProxySession> {
  const log = callLog();
  return connect(
    process.execPath,
    [
      MAIN,
      'mcp-proxy',
      '--url',
      gateway.url,
      '--token',
      gateway.token,
      ...flags,
      '--',
      process.execPath,
      FIXTURE,
      log.file,
    ],
    log,
  );
}

/** Polls until `f` returns something other than undefined (`ms`, 5 s by default, at most). */
export async function eventually<T>(
  f: () => Promise<T | undefined>,
  what: string,
  ms = 5_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await f();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Polls until the gateway holds a pending request `match` picks (30 s at most, by default). */
export function pendingRequest(
  gw: TestGateway,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests assert on arbitrary JSON
  match: (r: any) => boolean,
  what: string,
  ms = 30_000,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests assert on arbitrary JSON
): Promise<any> {
  return eventually(
    async () => {
      const { body } = await gw.api('GET', '/v1/actions?status=pending&limit=100', gw.tokens.root);
      return body.items.find(match);
    },
    what,
    ms,
  );
}

/** Polls until request `id` reaches `status`, and returns its record (30 s at most, by default). */
export function requestWithStatus(
  gw: TestGateway,
  id: string,
  status: string,
  what: string,
  ms = 30_000,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests assert on arbitrary JSON
): Promise<any> {
  return eventually(
    async () => {
      const r = await gw.api('GET', `/v1/actions/${id}`, gw.tokens.root);
      return r.body.status === status ? r.body : undefined;
    },
    what,
    ms,
  );
}

/** The fixture's tools on the 2.x SDK: a modern (2026-07-28) upstream. */
export const FIXTURE_V2 = fileURLToPath(
  new URL('./fixtures/fixture-server-v2.js', import.meta.url),
);
/** `@modelcontextprotocol/server-everything`, the reference server from the registry (1.x SDK). */
export const EVERYTHING = fileURLToPath(
  new URL(
    '../../../../node_modules/@modelcontextprotocol/server-everything/dist/index.js',
    import.meta.url,
  ),
);

/** `node countersign mcp-proxy … -- node <upstream…>`: the argv an MCP host would run. */
export function proxyArgv(
  gateway: { url: string; token: string },
  upstream: string[],
  flags: string[] = [],
): string[] {
  return [
    MAIN,
    'mcp-proxy',
    '--url',
    gateway.url,
    '--token',
    gateway.token,
    ...flags,
    '--',
    process.execPath,
    ...upstream,
  ];
}
