// Auto-allowed decisions per second through the real HTTP API with durable storage, next to
// a bare Fastify route, in one run on one machine. The ratio is the figure that matters:
// absolute numbers move with the machine and its neighbours.
import { CONNECTIONS, DURATION, measure } from './gateway-load.mjs';

const bare = await measure('bare');
const gateway = await measure('gateway');
const exit = Object.assign({}, ...gateway.exit);
const commits = exit.group_commit;
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
    writes_per_transaction: commits
      ? Number((commits.units / commits.transactions).toFixed(1))
      : null,
    statements_per_request: exit.store
      ? Number((exit.store.statements / gateway.all_requests).toFixed(1))
      : null,
  }),
);
