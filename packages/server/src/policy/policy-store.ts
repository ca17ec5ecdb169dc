import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { loadPolicy, type CompiledPolicy } from '@countersign/core';
import type { Directory } from '../config/directory.js';

export interface PolicyReloadResult {
  ok: boolean;
  version: string;
  changed: boolean;
  error?: string;
}

/**
 * Holds the policy in force. A reload that fails keeps the last good policy (the server
 * never runs without one, and never with a half-valid one); the failure is reported.
 */
export class PolicyStore {
  #current: CompiledPolicy;
  #watcher: FSWatcher | undefined;
  #debounce: NodeJS.Timeout | undefined;
  readonly #listeners = new Set<(r: PolicyReloadResult) => void>();

  private constructor(
    readonly file: string,
    private readonly directory: Directory,
    initial: CompiledPolicy,
  ) {
    this.#current = initial;
  }

  /** Loads the policy or throws (PolicyLoadError with file:line issues): a server must not start without one. */
  static open(file: string, directory: Directory): PolicyStore {
    return new PolicyStore(file, directory, compile(file, directory));
  }

  get current(): CompiledPolicy {
    return this.#current;
  }

  reload(): PolicyReloadResult {
    const before = this.#current.version;
    let result: PolicyReloadResult;
    try {
      this.#current = compile(this.file, this.directory);
      result = {
        ok: true,
        version: this.#current.version,
        changed: this.#current.version !== before,
      };
    } catch (e) {
      result = { ok: false, version: before, changed: false, error: (e as Error).message };
    }
    for (const l of this.#listeners) l(result);
    return result;
  }

  onReload(listener: (r: PolicyReloadResult) => void): void {
    this.#listeners.add(listener);
  }

  /**
   * Watches the policy's directory (editors replace files by rename, which a watch on the
   * file itself would miss) and reloads shortly after the last change.
   */
  watch(): void {
    if (this.#watcher) return;
    const name = basename(this.file);
    this.#watcher = watch(dirname(this.file), (_event, changed) => {
      if (changed !== null && changed !== name) return;
      clearTimeout(this.#debounce);
      this.#debounce = setTimeout(() => this.reload(), 100);
    });
    this.#watcher.unref();
  }

  close(): void {
    clearTimeout(this.#debounce);
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}

function compile(file: string, directory: Directory): CompiledPolicy {
  return loadPolicy(readFileSync(file, 'utf8'), {
    file,
    groups: new Set(directory.groups.keys()),
    users: new Set(directory.users.keys()),
  });
}
