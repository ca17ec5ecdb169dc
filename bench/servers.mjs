// Child-process servers for the throughput benchmark, so the load generator never shares
// an event loop with the server it measures. Prints one JSON line {url, token?} when ready.
//   node bench/servers.mjs gateway   the real gateway: auth, validation, policy, durable SQLite insert
//   node bench/servers.mjs bare      a bare Fastify JSON route on the same machine (the baseline)
//   node bench/servers.mjs bare-view the same bare route answering with a body of the size and
//                                    shape of the gateway's answer (bench/bare-view.mjs)
// BENCH_SHADOW=agree: the gateway also runs a shadow policy, a copy of the live one (every
// request evaluated twice, none disagreeing): the shadow's cost on the submit path.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { BENCH_POLICY } from './bench-policy.mjs';

const kind = process.argv[2];
// Exit cleanly on SIGTERM so --cpu-prof runs can write their profile; the gateway first prints
// one more line: how many transactions its group commits ran, and how many writes they held.
let onStop = () => undefined;
process.on('SIGTERM', () => {
  onStop();
  process.exit(0);
});

if (kind === 'bare') {
  const app = Fastify({ logger: false });
  app.post('/v1/actions', async (request, reply) =>
    reply.code(201).send({ id: 'x', status: 'approved', body: request.body }),
  );
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  console.log(JSON.stringify({ url }));
} else if (kind === 'bare-view') {
  const { bareView } = await import('./bare-view.mjs');
  const app = Fastify({ logger: false });
  let n = 0;
  app.post('/v1/actions', async (request, reply) => {
    const view = bareView(request.body, n++);
    return reply.code(201).header('location', `/v1/actions/${view.id}`).send(view);
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  console.log(JSON.stringify({ url }));
} else if (kind === 'gateway') {
  const { createGateway, resolveConfig } = await import('../packages/server/dist/src/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'countersign-bench-'));
  writeFileSync(join(dir, 'policy.yaml'), BENCH_POLICY);
  const shadow = process.env.BENCH_SHADOW === 'agree';
  if (shadow) writeFileSync(join(dir, 'shadow.yaml'), BENCH_POLICY);
  const config = resolveConfig(
    {
      server: { host: '127.0.0.1', port: 0, log_level: 'silent' },
      data_dir: join(dir, 'data'),
      storage: process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : {},
      directory: {
        groups: [{ id: 'reviewers' }],
        users: [
          { id: 'rita', groups: ['reviewers'] },
          { id: 'owen', groups: [] },
        ],
        agents: [{ id: 'bench-agent', owners: ['owen'] }],
      },
      policy: shadow
        ? { file: join(dir, 'policy.yaml'), shadow: join(dir, 'shadow.yaml') }
        : join(dir, 'policy.yaml'),
    },
    dir,
    {},
  );
  const gateway = await createGateway(config);
  const { groupCommitStats } = await import('../packages/server/dist/src/storage/group-commit.js');
  const { storeStats } = await import('../packages/server/dist/src/storage/guarded-dialect.js');
  onStop = () => console.log(JSON.stringify({ group_commit: groupCommitStats, store: storeStats }));
  const url = await gateway.listen();
  const { token } = await gateway.tokens.create('agent', 'bench-agent');
  const reviewer = (await gateway.tokens.create('user', 'rita')).token;
  console.log(JSON.stringify({ url, token, reviewer, dir }));
} else {
  console.error('usage: servers.mjs gateway|bare');
  process.exit(2);
}
