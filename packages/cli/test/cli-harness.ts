import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

export const CONFIG = `server: { host: 127.0.0.1, log_level: warn }
data_dir: data
directory:
  groups: [{ id: data-owners }, { id: sre-oncall }]
  users:
    - { id: alice, email: alice@example.com, groups: [data-owners] }
    - { id: root, admin: true }
  agents:
    - { id: exporter, owners: [root] }
policy: policy.yaml
`;

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
`;

/** A fresh directory with countersign.yaml and policy.yaml. */
export function workspace(policy = POLICY): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-cli-'));
  writeFileSync(join(dir, 'countersign.yaml'), CONFIG);
  writeFileSync(join(dir, 'policy.yaml'), policy);
  return { dir, config: join(dir, 'countersign.yaml') };
}

/** Runs the countersign binary to completion. */
export function cli(
  args: string[],
  options: { cwd?: string; input?: string; env?: Record<string, string> } = {},
) {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: options.cwd,
    input: options.input,
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** Starts `countersign serve` as a real process and waits until it answers. */
export async function startServer(config: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--config', config], {
    env: { ...process.env, COUNTERSIGN_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not start: ${stderr}`);
}

export function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) =>
    child.exitCode !== null || child.signalCode !== null
      ? resolve()
      : child.once('exit', () => resolve()),
  );
}
