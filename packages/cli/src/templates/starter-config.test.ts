import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@countersign/server';
import { STARTER_CONFIG } from './starter-config.js';
import { STARTER_POLICY } from './starter-policy.js';

test('the starter config passes the config schema and sets the fast-approval threshold', () => {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-starter-'));
  writeFileSync(join(dir, 'countersign.yaml'), STARTER_CONFIG);
  writeFileSync(join(dir, 'policy.yaml'), STARTER_POLICY);
  // A line that sets the key, not a mention in a comment: the schema then checks its value.
  assert.match(STARTER_CONFIG, /^insights:\n {2}fast_approval_seconds: 10 +# .*fast/m);
  const config = loadConfig(join(dir, 'countersign.yaml'), {});
  assert.deepEqual(config.insights, { fastApprovalMs: 10_000 });
});
