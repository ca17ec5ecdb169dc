import { directoryBaseline, directoryChanged } from '../audit/audit-events.js';
import type { EvidenceLog } from '../storage/evidence-log.js';
import { DirectoryStateRepository } from '../storage/directory-state-repository.js';
import type { Storage } from '../storage/open-database.js';
import type { Directory } from './directory.js';
import { diffDirectory, snapshotOf } from './directory-snapshot.js';

/**
 * Records the configured directory as audit evidence, at every start (the directory is read
 * from `countersign.yaml` only then: a reload of the configuration is a restart). The first
 * start records a `directory.baseline`; later ones one `directory.*` entry per change since
 * the directory last recorded, none when nothing changed. Idempotent across replicas
 * (storage/directory-state-repository.ts). Returns how many entries it appended.
 */
export function recordDirectory(
  storage: Storage,
  evidence: EvidenceLog,
  directory: Directory,
): Promise<number> {
  const current = snapshotOf(directory);
  const repo = new DirectoryStateRepository(storage.db, storage.dialect, evidence);
  return repo.record(current, (recorded) =>
    recorded === undefined
      ? [directoryBaseline(current)]
      : diffDirectory(recorded, current).map(directoryChanged),
  );
}
