// Auto-allowed decisions per second through the real HTTP API with durable storage, next to
// a bare Fastify route, in one run on one machine. The ratio is the figure that matters:
// absolute numbers move with the machine and its neighbours.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

async function start(kind) {
  const child = spawn(
    process.execPath,
    [new URL('./servers.mjs', import.meta.url).pathname, kind],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  return { child, ...JSON.parse(line) };
}

function load(url, token, seconds) {
  const body = JSON.stringify({
    action: 'bench.export',
    resource: 'postgres://prod/customers',
    environment: 'production',
    params: { rows: 500, columns: ['id', 'email'], format: 'csv' },
    justification: 'benchmark',
  });
  return autocannon({
    url: `${url}/v1/actions`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body,
  });
}

// CPU seconds (user + system, every thread) a process has used, from /proc (Linux); null
// elsewhere. CPU per request is steadier than requests per second on a shared machine, and
// counts the work the gateway moves to other threads.
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks
  } catch {
    return null;
  }
}

async function measure(kind) {
  const server = await start(kind);
  try {
    await load(server.url, server.token, 2); // warm-up: JIT, caches, SQLite pages
    const cpuBefore = cpuSeconds(server.child.pid);
    const r = await load(server.url, server.token, DURATION);
    const cpuAfter = cpuSeconds(server.child.pid);
    if (r.non2xx > 0 || r.errors > 0)
      throw new Error(`${kind}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    return {
      rps: r.requests.average,
      p50_ms: r.latency.p50,
      p99_ms: r.latency.p99,
      total: r.requests.total,
      cpu_us:
        cpuBefore === null || cpuAfter === null
          ? null
          : Math.round(((cpuAfter - cpuBefore) * 1e6) / r.requests.total),
    };
  } finally {
    server.child.kill('SIGTERM');
  }
}

const bare = await measure('bare');
const gateway = await measure('gateway');
console.log(
  JSON.stringify({
    name: 'auto_allow_throughput',
    storage: process.env.DATABASE_URL ? 'postgres' : 'sqlite',
    connections: CONNECTIONS,
    seconds: DURATION,
    bare_fastify_rps: Math.round(bare.rps),
    gateway_rps: Math.round(gateway.rps),
    ratio: Number((gateway.rps / bare.rps).toFixed(3)),
    target_ratio: 0.25,
    gateway_p50_ms: gateway.p50_ms,
    gateway_p99_ms: gateway.p99_ms,
    bare_cpu_us_per_request: bare.cpu_us,
    gateway_cpu_us_per_request: gateway.cpu_us,
  }),
);
