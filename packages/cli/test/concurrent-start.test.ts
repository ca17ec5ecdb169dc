import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { MAIN, workspace } from './cli-harness.js';

/** Runs the countersign binary without blocking, so several run at once. */
function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

// Issue 12, defect 12: two CLI processes on a fresh data directory raced the migrations and
// one died on `table "actions" already exists`.
test('CLI processes starting at once on a fresh data directory all migrate and succeed', async () => {
  const { config } = workspace();
  const results = await Promise.all(
    Array.from({ length: 5 }, () =>
      run(['token', 'create', '--agent', 'exporter', '--config', config]),
    ),
  );
  for (const r of results) {
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout.trim(), /^csa_/);
  }
  // Five distinct tokens, one schema: a later start finds nothing left to migrate.
  assert.equal(new Set(results.map((r) => r.stdout.trim())).size, 5);
  const again = await run(['token', 'create', '--agent', 'exporter', '--config', config]);
  assert.equal(again.status, 0, again.stderr);
});
