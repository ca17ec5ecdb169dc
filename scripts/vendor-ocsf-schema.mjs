// Copies the parts of an OCSF schema checkout (github.com/ocsf/ocsf-schema) that the OCSF export
// test validates against into packages/server/test/ocsf-schema/, with the licence and notice.
// Usage: node scripts/vendor-ocsf-schema.mjs <path to an ocsf-schema checkout> <commit>
// The files are copied verbatim: the test compiles them into JSON Schema itself
// (packages/server/test/ocsf-validator.ts), so they can be diffed against the upstream commit.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [source, commit] = process.argv.slice(2);
if (!source || !commit) {
  console.error('usage: node scripts/vendor-ocsf-schema.mjs <ocsf-schema checkout> <commit>');
  process.exit(2);
}
const target = 'packages/server/test/ocsf-schema';
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
const copy = (path) => cpSync(join(source, path), join(target, path), { recursive: true });
for (const path of ['LICENSE', 'NOTICE', 'version.json', 'categories.json', 'dictionary.json']) {
  copy(path);
}
// Every object and profile (an event reaches most objects transitively), and the classes the
// export emits with their parents: base_event, the IAM and Application Activity categories.
for (const path of ['objects', 'profiles', 'events/base_event.json', 'events/iam']) copy(path);
copy('events/application');
const { version } = JSON.parse(readFileSync(join(source, 'version.json'), 'utf8'));
writeFileSync(
  join(target, 'SOURCE.md'),
  `# OCSF schema ${version}, vendored for tests\n\n` +
    `Copied verbatim from https://github.com/ocsf/ocsf-schema at commit \`${commit}\` by\n` +
    '`scripts/vendor-ocsf-schema.mjs`: dictionary, categories, every object and profile, and the\n' +
    'base, IAM and Application Activity event classes. Licensed under the Apache License 2.0\n' +
    '(`LICENSE`); see `NOTICE`. Only the tests read these files.\n',
);
console.log(`vendored OCSF ${version} (${commit}) into ${target}`);
