import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cli, exited, freePort, workspace } from './cli-harness.js';

const STUCK_SERVE = fileURLToPath(new URL('./stuck-serve.js', import.meta.url));

// Issue 12, defect 1: with the store stuck, /readyz hung and SIGTERM did not stop the process.
test('with its store stuck, serve answers /readyz 503 in 2 s and exits within 10 s of SIGTERM', async () => {
  const { config } = workspace();
  const token = cli(['token', 'create', '--agent', 'exporter', '--config', config]).stdout.trim();
  const port = await freePort();
  const child = spawn(process.execPath, [STUCK_SERVE, config], {
    env: { ...process.env, COUNTERSIGN_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('stuck')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`fixture exited ${code}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    let started = Date.now();
    const ready = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5_000) });
    assert.ok(Date.now() - started < 2_000, `readyz took ${Date.now() - started} ms`);
    assert.equal(ready.status, 503);
    assert.equal(((await ready.json()) as { code: string }).code, 'storage_unavailable');
    // A request in flight on the stuck store while the signal arrives.
    const inFlight = fetch(`${base}/v1/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'db.export', resource: 'pg://x', params: { rows: 1 } }),
    }).then(
      (r) => r.status,
      () => 'reset',
    );
    await new Promise((r) => setTimeout(r, 200));
    started = Date.now();
    child.kill('SIGTERM');
    await Promise.race([exited(child), new Promise((r) => setTimeout(r, 12_000))]);
    const took = Date.now() - started;
    assert.ok(child.exitCode !== null, 'the process is gone');
    assert.ok(took < 10_000, `exit took ${took} ms`);
    // The in-flight request got an answer or a closed connection, never an endless wait.
    assert.ok([503, 'reset'].includes(await inFlight), 'in-flight request settled');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited(child);
  }
});
