import type { AuditEntry } from '@countersign/core';
import {
  applyDirectoryChange,
  type DirectoryChange,
  type DirectorySnapshot,
} from '../config/directory-snapshot.js';

/** One recorded change of the directory, with when the log recorded it. */
export interface RecordedChange {
  at: number;
  change: DirectoryChange;
}

/**
 * The directory through time, replayed from the audit log's `directory.*` entries (in index
 * order): the first baseline, then every change after it. Entries before the baseline cannot
 * exist (the baseline is the first directory entry a store records).
 */
export class DirectoryHistory {
  private constructor(
    /** When the directory was first recorded; null: never (a store from before this evidence). */
    readonly recordedSince: number | null,
    private readonly baseline: DirectorySnapshot | null,
    readonly changes: readonly RecordedChange[],
  ) {}

  static fromEntries(entries: readonly AuditEntry[]): DirectoryHistory {
    let since: number | null = null;
    let baseline: DirectorySnapshot | null = null;
    const changes: RecordedChange[] = [];
    for (const e of entries) {
      const at = Date.parse(e.at);
      if (e.type === 'directory.baseline') {
        if (baseline !== null) continue; // a second baseline cannot be written; ignore, keep the first
        baseline = e.data.directory as DirectorySnapshot;
        since = at;
      } else if (e.type.startsWith('directory.') && baseline !== null) {
        changes.push({ at, change: { type: e.type, ...e.data } as DirectoryChange });
      }
    }
    return new DirectoryHistory(since, baseline, changes);
  }

  /**
   * The directory as it was at `at` (changes recorded at or before `at` applied), or
   * undefined when `at` is before the directory was first recorded.
   */
  at(at: number): DirectorySnapshot | undefined {
    if (this.baseline === null || this.recordedSince === null || at < this.recordedSince) {
      return undefined;
    }
    const state = structuredClone(this.baseline);
    for (const c of this.changes) {
      if (c.at > at) break;
      applyDirectoryChange(state, c.change);
    }
    return state;
  }

  /** Changes recorded in [start, end). */
  between(start: number, end: number): RecordedChange[] {
    return this.changes.filter((c) => c.at >= start && c.at < end);
  }
}
