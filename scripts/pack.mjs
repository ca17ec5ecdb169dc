// `npm run pack [-- --out DIR] [-- --no-build]`: the tarballs a platform engineer installs
// without cloning (README "Install without cloning"): core, server, sdk, mcp, the built web
// inbox and the CLI. Builds first, packs with `npm pack`, then checks what each tarball holds:
// compiled code (and the CLI's bin, the inbox's index.html), no tests, no sources, no build
// caches. Prints one tarball path a line; exits 1 naming the offending file otherwise.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PACKAGES = ['core', 'server', 'sdk', 'mcp', 'web', 'cli'];

/** What each tarball must contain, beyond package.json. */
const REQUIRED = {
  core: ['dist/src/index.js'],
  server: ['dist/src/index.js'],
  sdk: ['dist/src/index.js'],
  mcp: ['dist/src/index.js'],
  web: ['dist/index.html'],
  cli: ['bin/countersign.js', 'dist/src/main.js'],
};

/** Paths no tarball may contain: tests, TypeScript sources, build caches, local data. */
const FORBIDDEN = [
  /(^|\/)test\//,
  /\.test\.[cm]?js/,
  /\.test\.d\.ts/,
  /^src\//,
  /\.tsbuildinfo$/,
  /(^|\/)\.countersign\//,
];

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function npm(args, options = {}) {
  const r = spawnSync('npm', args, { cwd: ROOT, encoding: 'utf8', ...options });
  if (r.status !== 0) {
    process.stderr.write(r.stderr ?? '');
    throw new Error(`npm ${args.join(' ')} exited ${r.status}`);
  }
  return r.stdout;
}

/** Packs every package into `out` and returns the tarball paths, checked. */
export function pack({ out, build = true }) {
  mkdirSync(out, { recursive: true });
  if (build) npm(['run', 'build'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const workspaces = PACKAGES.flatMap((p) => ['-w', `@countersign/${p}`]);
  // Every tarball carries the licence text (Apache-2.0 §4(a) asks redistributions to give it),
  // copied from the root for the pack only: one file in the repository, not six.
  const licences = PACKAGES.map((p) => join(ROOT, 'packages', p, 'LICENSE'));
  for (const l of licences) copyFileSync(join(ROOT, 'LICENSE'), l);
  let report;
  try {
    report = JSON.parse(
      npm(['pack', '--json', '--pack-destination', out, ...workspaces], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  } finally {
    for (const l of licences) rmSync(l, { force: true });
  }
  const problems = [];
  const tarballs = [];
  for (const entry of report) {
    const short = entry.name.replace('@countersign/', '');
    const paths = entry.files.map((f) => f.path);
    if (!paths.includes('LICENSE')) problems.push(`${entry.filename}: missing LICENSE`);
    for (const need of REQUIRED[short] ?? []) {
      if (!paths.includes(need)) problems.push(`${entry.filename}: missing ${need} (built?)`);
    }
    for (const path of paths) {
      if (FORBIDDEN.some((re) => re.test(path))) {
        problems.push(`${entry.filename}: must not contain ${path}`);
      }
    }
    tarballs.push(join(out, entry.filename));
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return tarballs;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  const out =
    at >= 0 && args[at + 1]
      ? resolve(args[at + 1])
      : mkdtempSync(join(tmpdir(), 'countersign-pack-'));
  try {
    const tarballs = pack({ out, build: !args.includes('--no-build') });
    process.stdout.write(`${tarballs.join('\n')}\n`);
  } catch (e) {
    process.stderr.write(`pack: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
