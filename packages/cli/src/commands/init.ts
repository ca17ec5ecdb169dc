import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CountersignError } from '@countersign/core';
import { STARTER_CONFIG } from '../templates/starter-config.js';
import { STARTER_POLICY } from '../templates/starter-policy.js';

/** Writes a commented countersign.yaml and policy.yaml; refuses to overwrite without --force. */
export function init(options: { dir: string; force?: boolean }): string[] {
  const dir = resolve(options.dir);
  const files: Array<[string, string]> = [
    [join(dir, 'countersign.yaml'), STARTER_CONFIG],
    [join(dir, 'policy.yaml'), STARTER_POLICY],
  ];
  if (!options.force) {
    const existing = files.filter(([f]) => existsSync(f)).map(([f]) => f);
    if (existing.length > 0) {
      throw new CountersignError(
        'invalid_request',
        `${existing.join(', ')} exists; use --force to overwrite`,
      );
    }
  }
  for (const [file, text] of files) writeFileSync(file, text, { mode: 0o600 });
  return files.map(([f]) => f);
}
