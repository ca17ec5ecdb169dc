#!/usr/bin/env node
// The `countersign` command's entry point, committed as plain JavaScript so that npm can link
// the bin on `npm install` even before anything is built (npm links nothing, and `npx
// countersign` says "could not determine executable to run", when a bin target is missing).
// The command itself is the compiled dist/src/main.js.
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'countersign is not built yet: run `npm run build` at the root of the repository.\n',
  );
  process.exit(1);
}
await import(main.href);
