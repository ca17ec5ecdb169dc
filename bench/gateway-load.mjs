// What the throughput and CPU-floor benchmarks share: a server in a child process (servers.mjs),
// autocannon's load of auto-allowed submissions, and a process's CPU time from /proc.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';

export const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

/** Starts `servers.mjs kind`; `lines` yields what it prints after its first (ready) line. */
export async function start(kind) {
  const child = spawn(
    process.execPath,
    [new URL('./servers.mjs', import.meta.url).pathname, kind],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const later = [];
  const [first] = await once(lines, 'line');
  lines.on('line', (l) => later.push(l));
  const closed = once(child, 'exit');
  /** Stops the server; resolves with the JSON lines it printed on its way out. */
  const stop = async () => {
    child.kill('SIGTERM');
    await closed;
    return later.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  };
  return { child, stop, ...JSON.parse(first) };
}

export const SUBMISSION = {
  action: 'bench.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 500, columns: ['id', 'email'], format: 'csv' },
  justification: 'benchmark',
};

export function load(url, token, seconds) {
  return autocannon({
    url: `${url}/v1/actions`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(SUBMISSION),
  });
}

// CPU seconds (user + system, every thread) a process has used, from /proc (Linux); null
// elsewhere. CPU per request is steadier than requests per second on a shared machine, and
// counts the work the gateway moves to other threads.
export function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks
  } catch {
    return null;
  }
}

/** 2 s of warm-up, then DURATION seconds measured: rate, latency and CPU per request. */
export async function measure(kind) {
  const server = await start(kind);
  let warm;
  let r;
  let cpuBefore;
  let cpuAfter;
  let exitLines;
  try {
    warm = await load(server.url, server.token, 2); // warm-up: JIT, caches, SQLite pages
    cpuBefore = cpuSeconds(server.child.pid);
    r = await load(server.url, server.token, DURATION);
    cpuAfter = cpuSeconds(server.child.pid);
  } finally {
    exitLines = await server.stop();
  }
  if (r.non2xx > 0 || r.errors > 0)
    throw new Error(`${kind}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return {
    rps: r.requests.average,
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    total: r.requests.total,
    /** Every request the server answered, warm-up included (its exit counters count them all). */
    all_requests: r.requests.total + warm.requests.total,
    cpu_us:
      cpuBefore === null || cpuAfter === null
        ? null
        : Math.round(((cpuAfter - cpuBefore) * 1e6) / r.requests.total),
    /** The JSON lines the server printed as it stopped (servers.mjs: the gateway's counters). */
    exit: exitLines,
  };
}
