import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { generateNoteKey } from '@countersign/core';
import { loadConfig } from '@countersign/server';
import { SHUTDOWN_GRACE_MS } from '../src/commands/serve.js';
import { MAIN, cli, exited, freePort } from './cli-harness.js';

// deploy/ ships files no CI here can run (no Docker engine, no systemd as PID 1): each is
// checked against the gateway's own config loader and the commands it names.
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const DEPLOY = join(REPO, 'deploy');
const CONFIG = join(DEPLOY, 'countersign.yaml');

/** The secrets the example expects from the environment, freshly generated. */
function secrets(): Record<string, string> {
  return {
    DATABASE_URL: 'postgres://countersign:countersign@postgres:5432/countersign',
    COUNTERSIGN_GRANT_SIGNING_KEY: generateKeyPairSync('ed25519')
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString(),
    COUNTERSIGN_AUDIT_SIGNING_KEY: generateNoteKey('countersign.example.com/audit').signerKey,
    COUNTERSIGN_AUDIT_HMAC_KEY: randomBytes(32).toString('base64'),
  };
}

/** `Key=Value` lines per `[Section]` of a systemd unit (repeated keys keep every value). */
function unitFile(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) sections.set(header[1], (current = new Map()));
    else {
      const eq = line.indexOf('=');
      const key = line.slice(0, eq);
      current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
    }
  }
  return sections;
}

/** Dockerfile instructions, continuation lines joined. */
function dockerfile(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

test('deploy/countersign.yaml loads with the gateway loader and its policy checks', () => {
  const env = secrets();
  const config = loadConfig(CONFIG, env);
  assert.equal(config.storage.url, env.DATABASE_URL, 'PostgreSQL from the environment');
  assert.equal(config.server.host, '0.0.0.0');
  assert.match(config.server.publicUrl, /^https:\/\//);
  assert.equal(config.grants.signingKey, env.COUNTERSIGN_GRANT_SIGNING_KEY);
  assert.equal(config.policyFile, join(DEPLOY, 'policy.yaml'));
  const check = cli(['policy', 'check', '--config', CONFIG], { env });
  assert.equal(check.status, 0, check.stderr);
  // Secrets stay out of the file.
  const values = JSON.stringify(parse(readFileSync(CONFIG, 'utf8')));
  assert.doesNotMatch(values, /PRIVATE|postgres:|"storage"/);
});

test('the example config serves /healthz and /readyz with keys from the environment', async () => {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'countersign-deploy-'));
  // SQLite in a temp dir stands in for PostgreSQL; everything else is the shipped file.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...secrets(),
    COUNTERSIGN_HOST: '127.0.0.1',
    COUNTERSIGN_PORT: String(port),
    COUNTERSIGN_DATA_DIR: dataDir,
  };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [MAIN, 'serve', '--config', CONFIG], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    let ready = 0;
    for (let i = 0; i < 300 && ready !== 200; i++) {
      if (child.exitCode !== null) assert.fail(`serve exited: ${stderr}`);
      ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.status,
        () => 0,
      );
      if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(ready, 200, stderr);
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    // The audit log is named after the supplied key (not a generated one).
    const cp = (await (await fetch(`http://127.0.0.1:${port}/v1/audit/checkpoint`)).json()) as {
      verifier_key?: string;
    };
    if (cp.verifier_key) assert.match(cp.verifier_key, /^countersign\.example\.com\/audit\+/);
  } finally {
    child.kill('SIGTERM');
    await exited(child);
  }
});

test('deploy/countersign.service: hardened, stops after the gateway forced exit, verifies', () => {
  const text = readFileSync(join(DEPLOY, 'countersign.service'), 'utf8');
  const unit = unitFile(text);
  const service = unit.get('Service')!;
  const one = (k: string) => service.get(k)?.at(-1);
  const config = loadConfig(CONFIG, secrets());
  assert.equal(one('NoNewPrivileges'), 'yes');
  assert.equal(one('ProtectSystem'), 'strict');
  assert.equal(one('DynamicUser'), 'yes');
  assert.equal(one('Restart'), 'on-failure');
  assert.ok(service.get('ReadWritePaths')?.includes(config.dataDir), 'the data dir is writable');
  assert.equal(`/var/lib/${one('StateDirectory')}`, config.dataDir);
  assert.match(one('EnvironmentFile') ?? '', /^\/etc\/countersign\//);
  assert.match(one('ExecStart') ?? '', / serve --config \/etc\/countersign\/countersign\.yaml$/);
  // systemd's SIGKILL must come after the gateway's own forced exit (grace + SQLite busy waits).
  const stopSeconds = Number(/^(\d+)s?$/.exec(one('TimeoutStopSec') ?? '')?.[1]);
  assert.ok(stopSeconds * 1000 >= SHUTDOWN_GRACE_MS + 2 * 2_000, `TimeoutStopSec=${stopSeconds}`);
  assert.deepEqual(unit.get('Install')?.get('WantedBy'), ['multi-user.target']);

  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (analyze.status !== 0) return; // no systemd here: the structural checks above stand
  // The binary path exists only once installed: verify the unit with this checkout's CLI.
  const dir = mkdtempSync(join(tmpdir(), 'countersign-unit-'));
  const copy = join(dir, 'countersign.service');
  writeFileSync(copy, text.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath} ${MAIN}`));
  const verify = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
  assert.equal(verify.status, 0, verify.stderr);
  assert.equal(verify.stderr.trim(), '', verify.stderr);
});

test('deploy/Dockerfile and compose.yaml agree with the config: port, probes, env, commands', () => {
  const config = loadConfig(CONFIG, secrets());
  const steps = dockerfile(readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8'));
  const args = (op: string) => steps.filter((s) => s.op === op).map((s) => s.args);
  assert.deepEqual(args('EXPOSE'), [String(config.server.port)]);
  const run = args('RUN').join(' && ');
  for (const command of ['npm ci', 'npm run build', 'npm prune --omit=dev']) {
    assert.ok(run.includes(command), `the image runs ${command}`);
  }
  for (const script of ['build'])
    assert.ok(
      (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: object }).scripts[
        script as keyof object
      ],
      `npm run ${script} exists`,
    );
  const cmd = JSON.parse(args('CMD').at(-1)!) as string[];
  assert.equal(cmd[0], 'node');
  assert.ok(existsSync(join(REPO, cmd[1])), `${cmd[1]} is what the build produces`);
  assert.deepEqual(cmd.slice(2), ['serve', '--config', '/etc/countersign/countersign.yaml']);
  assert.match(args('HEALTHCHECK')[0], new RegExp(`127\\.0\\.0\\.1:${config.server.port}/readyz`));
  assert.equal(args('USER').at(-1), 'node');

  const compose = parse(readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8'), {
    merge: true,
  }) as {
    services: Record<
      string,
      {
        image?: string;
        build?: { context: string; dockerfile: string };
        ports?: string[];
        environment?: Record<string, string>;
        volumes?: string[];
        depends_on?: Record<string, { condition: string }>;
        healthcheck?: { test: string[] };
        stop_grace_period?: string;
      }
    >;
  };
  const pg = compose.services.postgres;
  assert.match(pg.image ?? '', /^postgres:/);
  assert.match(pg.healthcheck!.test.join(' '), /pg_isready/);
  const replicas = Object.entries(compose.services).filter(([name]) => name !== 'postgres');
  assert.ok(replicas.length >= 2, 'replicas behind a balancer');
  const hostPorts = new Set<string>();
  for (const [name, s] of replicas) {
    assert.equal(join(DEPLOY, s.build!.context, s.build!.dockerfile), join(DEPLOY, 'Dockerfile'));
    assert.equal(s.depends_on?.postgres?.condition, 'service_healthy', name);
    const [host, inside] = s.ports![0].split(':');
    assert.equal(Number(inside), config.server.port, `${name} maps the configured port`);
    hostPorts.add(host);
    for (const v of s.volumes!) {
      const [from, to] = v.split(':');
      assert.ok(existsSync(join(DEPLOY, from)), `${from} is shipped`);
      assert.match(to, /^\/etc\/countersign\//);
    }
    // The env the replicas run with, interpolated as compose would, loads the shipped config.
    const env = secrets();
    const resolved = Object.fromEntries(
      Object.entries(s.environment!).map(([k, v]) => [
        k,
        v.replace(
          /\$\{(\w+)(?::[-?]([^}]*))?\}/g,
          (_m, n: string, d?: string) => env[n] ?? d ?? '',
        ),
      ]),
    );
    const url = new URL(resolved.DATABASE_URL);
    assert.equal(url.hostname, 'postgres');
    assert.equal(
      url.username,
      (pg as { environment: Record<string, string> }).environment.POSTGRES_USER,
    );
    assert.equal(
      url.pathname.slice(1),
      (pg as { environment: Record<string, string> }).environment.POSTGRES_DB,
    );
    const loaded = loadConfig(CONFIG, resolved);
    assert.equal(loaded.storage.url, resolved.DATABASE_URL);
    assert.equal(loaded.grants.signingKey, env.COUNTERSIGN_GRANT_SIGNING_KEY);
    assert.ok(Number.parseInt(s.stop_grace_period ?? '0', 10) * 1000 > SHUTDOWN_GRACE_MS);
  }
  assert.equal(hostPorts.size, replicas.length, 'one host port per replica');
  // BuildKit's per-Dockerfile ignore file keeps host node_modules and dist out of the context.
  assert.match(readFileSync(join(DEPLOY, 'Dockerfile.dockerignore'), 'utf8'), /node_modules/);
});
