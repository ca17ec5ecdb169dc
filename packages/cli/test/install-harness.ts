import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Helpers for the tests that install Countersign the way a user does (a fresh clone, the packed
 * tarballs): real `git`, real `npm` against the registry (or its cache), real processes.
 */

/** The repository root: this file runs as <repo>/packages/cli/dist/test/*.js. */
export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

/** Installs compile better-sqlite3 when no prebuilt binary can be fetched: minutes, not seconds. */
export const INSTALL_TIMEOUT_MS = 12 * 60_000;

/**
 * Whether these tests can run. Without npm they are skipped, loudly; under CI they never are
 * (CI=true makes a missing npm a failure, so a broken runner cannot pass by skipping).
 */
export function npmMissing(): string | false {
  const r = spawnSync('npm', ['--version'], { encoding: 'utf8' });
  if (r.status === 0) return false;
  const why = 'npm is not available on PATH';
  if (process.env.CI === 'true') throw new Error(`${why}, and CI=true: this test must run`);
  process.stderr.write(`\n!!! SKIPPED: ${why}; the install tests did not run !!!\n\n`);
  return why;
}

/** Runs a command to completion; throws with its output when it fails. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number },
): string {
  const r = spawnSync(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: options.timeout ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${options.cwd}) exited ${r.status ?? r.signal}\n` +
        `${r.stdout}\n${r.stderr}${r.error ? `\n${String(r.error)}` : ''}`,
    );
  }
  return r.stdout;
}

/** A long-running command in its own process group (so `npm start` and its node child both stop). */
export interface Background {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export function background(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Background {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      process.kill(-child.pid, 'SIGTERM');
      const killer = setTimeout(() => {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      }, 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Waits until the gateway answers /readyz with 200 (or the process dies, or time runs out). */
export async function waitReady(base: string, proc: Background, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) {
      throw new Error(`exited ${proc.child.exitCode} before ready:\n${proc.output()}`);
    }
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready after ${ms} ms:\n${proc.output()}`);
}

/** Waits until `pattern` shows in the output (the demo prints its tokens after it listens). */
export async function waitOutput(proc: Background, pattern: RegExp, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(proc.output())) {
    if (Date.now() > deadline) throw new Error(`no ${String(pattern)} in:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The token printed on the line that names `who` (`csa_…` for agents, `csu_…` for users). */
export function tokenFor(output: string, who: string, prefix: 'csa_' | 'csu_'): string {
  const re = new RegExp(`\\b${prefix}[A-Za-z0-9_-]+`);
  for (const line of output.split('\n')) {
    const m = re.exec(line);
    if (m && new RegExp(`\\b${who}\\b`).test(line)) return m[0];
  }
  throw new Error(`no ${prefix} token for ${who} in:\n${output}`);
}
