import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './cli-harness.js';
import {
  INSTALL_TIMEOUT_MS,
  REPO,
  background,
  npmMissing,
  run,
  waitReady,
} from './install-harness.js';

/** /healthz, /readyz and the web inbox page with the script it loads, from a running gateway. */
async function checkGateway(base: string): Promise<void> {
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  const html = await page.text();
  const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html);
  assert.ok(script, `no inbox script in:\n${html}`);
  const js = await fetch(`${base}${script[1]}`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type') ?? '', /javascript/);
}

// A platform engineer without a clone (issue 14): the packed tarballs (`npm run pack`), installed
// into an empty directory, run the demo and a configured gateway, web inbox included.
test(
  'the packed tarballs install into an empty directory and serve the demo and a configured gateway',
  { timeout: INSTALL_TIMEOUT_MS + 3 * 60_000, skip: npmMissing() },
  async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'countersign-packed-'));
    try {
      // `npm test` has just built everything; pack what was built.
      const packs = join(tmp, 'packs');
      const tarballs = run('node', ['scripts/pack.mjs', '--no-build', '--out', packs], {
        cwd: REPO,
      })
        .split('\n')
        .filter((line) => line.endsWith('.tgz'));
      assert.equal(tarballs.length, 6, tarballs.join('\n'));

      const app = join(tmp, 'app');
      mkdirSync(app);
      writeFileSync(join(app, 'package.json'), '{ "private": true }\n');
      run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs], {
        cwd: app,
        timeout: INSTALL_TIMEOUT_MS,
      });
      const bin = join(app, 'node_modules', '.bin', 'countersign');

      // countersign serve --demo
      const port = await freePort();
      const demo = background(bin, ['serve', '--demo'], {
        cwd: app,
        env: { COUNTERSIGN_PORT: String(port) },
      });
      try {
        await waitReady(`http://127.0.0.1:${port}`, demo);
        await checkGateway(`http://127.0.0.1:${port}`);
      } finally {
        await demo.stop();
      }

      // countersign init && countersign serve
      const real = join(app, 'gateway');
      mkdirSync(real);
      run(bin, ['init'], { cwd: real });
      run(bin, ['policy', 'check'], { cwd: real });
      const realPort = await freePort();
      const gateway = background(bin, ['serve'], {
        cwd: real,
        env: { COUNTERSIGN_PORT: String(realPort) },
      });
      try {
        await waitReady(`http://127.0.0.1:${realPort}`, gateway);
        await checkGateway(`http://127.0.0.1:${realPort}`);
      } finally {
        await gateway.stop();
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  },
);
