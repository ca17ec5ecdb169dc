import { existsSync, readFileSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  CountersignError,
  EMPTY_WITNESS_STATE,
  parseWitnessState,
  type WitnessState,
  type WitnessStore,
} from '@countersign/core';

/**
 * A witness's state in one JSON file, replaced atomically: written to a temporary file in the
 * same directory, flushed to disk, renamed over the old one, and the directory flushed, so a
 * crash leaves either the old state or the new one, never half of either. tlog-witness
 * "add-checkpoint": "The witness MUST persist the new checkpoint before responding."
 */
export function witnessStateFile(path: string): { state: WitnessState; store: WitnessStore } {
  let state = EMPTY_WITNESS_STATE;
  if (existsSync(path)) {
    try {
      state = parseWitnessState(readFileSync(path, 'utf8'));
    } catch (e) {
      // A witness that forgot what it cosigned could be rolled back: refuse to start.
      throw new CountersignError(
        'config_invalid',
        `${path} is not a witness state file (${(e as Error).message}); refusing to start afresh`,
      );
    }
  }
  return { state, store: { save: (next) => writeAtomically(path, `${JSON.stringify(next)}\n`) } };
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  const temporary = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  const file = await open(temporary, 'w', 0o600);
  try {
    await file.writeFile(text, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temporary, path);
  } catch (e) {
    await unlink(temporary).catch(() => undefined);
    throw e;
  }
  const directory = await open(dir, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
