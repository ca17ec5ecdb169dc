// `npm run bench`: every benchmark in one run, one JSON line each, then a summary.
// Figures go in docs/performance.md with the command that produced them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

const benches = [
  'policy-eval.mjs',
  'policy-replay.mjs',
  'policy-shadow.mjs',
  'standing-approvals.mjs',
  'throughput.mjs',
  'cpu-floor.mjs',
  'approval-latency.mjs',
  'merkle.mjs',
  'audit-log.mjs',
  'audit-verify.mjs',
  // several replicas on PostgreSQL (skipped without a server at BENCH_PG_URL)
  'replicas.mjs',
  'cross-replica-latency.mjs',
  'waiters.mjs',
  'timer-burst.mjs',
];
const only = process.argv[2];
const results = [];
for (const file of benches.filter((b) => !only || b.includes(only))) {
  process.stderr.write(`bench: ${file}\n`);
  const r = spawnSync(process.execPath, [new URL(`./${file}`, import.meta.url).pathname], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) {
    process.stderr.write(`bench: ${file} failed (exit ${r.status})\n`);
    process.exitCode = 1;
    continue;
  }
  for (const line of r.stdout.split('\n').filter((l) => l.startsWith('{'))) {
    results.push(JSON.parse(line));
    console.log(line);
  }
}
mkdirSync(new URL('./results', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/latest.json', import.meta.url),
  JSON.stringify({ at: new Date().toISOString(), node: process.version, results }, null, 2),
);
