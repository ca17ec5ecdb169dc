import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import AjvDraft04 from 'ajv-draft-04';
import formats from 'ajv-formats';

const root = (path: string) => fileURLToPath(new URL(`../../../../${path}`, import.meta.url));

/**
 * The Teams app manifest against Microsoft's published schema for the version it declares
 * (teams/schema/, vendored: the tests run offline). The manifest is a template: its
 * `{{MICROSOFT_APP_ID}}` and `{{COUNTERSIGN_HOST}}` are filled in as docs/teams.md says.
 */
test('teams/manifest.json is valid against the v1.17 manifest schema', () => {
  const raw = readFileSync(root('teams/manifest.json'), 'utf8')
    .replaceAll('{{MICROSOFT_APP_ID}}', '6b1f4c5e-0d4e-4f61-9b3a-2a9c1f0e7d11')
    .replaceAll('{{COUNTERSIGN_HOST}}', 'countersign.example.com');
  const manifest = JSON.parse(raw) as { $schema: string; manifestVersion: string };
  assert.match(manifest.$schema, /\/v1\.17\/MicrosoftTeams\.schema\.json$/);
  const schema = JSON.parse(
    readFileSync(root('teams/schema/MicrosoftTeams.v1.17.schema.json'), 'utf8'),
  ) as object;
  // Microsoft's schema is draft-04; strict mode would refuse its own unknown keywords.
  // Both are CommonJS whose module.exports is the class/function itself (as load-config.ts
  // does for ajv-formats); NodeNext types the default import as the module record.
  const Ajv = AjvDraft04 as unknown as typeof AjvDraft04.default;
  const addFormats = formats as unknown as typeof formats.default;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  assert.ok(validate(manifest), JSON.stringify(validate.errors, null, 2));
});
