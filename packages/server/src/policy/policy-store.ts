import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { loadPolicy, type CompiledPolicy } from '@countersign/core';
import type { Directory } from '../config/directory.js';
import { ShadowPolicy, type ShadowReloadResult } from './shadow-policy.js';

export interface PolicyReloadResult {
  ok: boolean;
  version: string;
  changed: boolean;
  error?: string;
  /** The shadow policy's reload, which goes with the live one's (absent without a shadow). */
  shadow?: ShadowReloadResult | undefined;
}

/** `policy.shadow` of the configuration: a candidate evaluated beside the live policy. */
export interface ShadowOptions {
  file: string;
  onEvaluationError: (e: Error) => void;
}

/**
 * Holds the policy in force. A reload that fails keeps the last good policy (the server
 * never runs without one, and never with a half-valid one); the failure is reported.
 */
export class PolicyStore {
  #current: CompiledPolicy;
  #watchers: FSWatcher[] = [];
  #debounce: NodeJS.Timeout | undefined;
  readonly #listeners = new Set<(r: PolicyReloadResult) => void>();

  /**
   * The shadow policy, if configured. Not loaded by `open` (whose failure stops the server): the
   * caller loads it with `shadow.reload()` once it can report a refusal; an invalid shadow
   * never stops the server nor touches the live policy.
   */
  readonly shadow: ShadowPolicy | undefined;

  private constructor(
    readonly file: string,
    private readonly directory: Directory,
    initial: CompiledPolicy,
    shadow: ShadowOptions | undefined,
  ) {
    this.#current = initial;
    this.shadow =
      shadow &&
      new ShadowPolicy(shadow.file, (f) => compile(f, directory), shadow.onEvaluationError);
  }

  /** Loads the policy or throws (PolicyLoadError with file:line issues): a server must not start without one. */
  static open(file: string, directory: Directory, shadow?: ShadowOptions): PolicyStore {
    return new PolicyStore(file, directory, compile(file, directory), shadow);
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
    // Separately: whichever of the two fails, the other's outcome stands.
    if (this.shadow) result.shadow = this.shadow.reload();
    for (const l of this.#listeners) l(result);
    return result;
  }

  onReload(listener: (r: PolicyReloadResult) => void): void {
    this.#listeners.add(listener);
  }

  /**
   * Watches the policy's directory (editors replace files by rename, which a watch on the
   * file itself would miss), and the shadow's, and reloads both shortly after the last change.
   */
  watch(): void {
    if (this.#watchers.length > 0) return;
    const files = [this.file, ...(this.shadow ? [this.shadow.file] : [])];
    for (const dir of new Set(files.map((f) => dirname(f)))) {
      const names = new Set(files.filter((f) => dirname(f) === dir).map((f) => basename(f)));
      const watcher = watch(dir, (_event, changed) => {
        if (changed !== null && !names.has(changed)) return;
        clearTimeout(this.#debounce);
        this.#debounce = setTimeout(() => this.reload(), 100);
      });
      watcher.unref();
      this.#watchers.push(watcher);
    }
  }

  close(): void {
    clearTimeout(this.#debounce);
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
  }
}

function compile(file: string, directory: Directory): CompiledPolicy {
  return loadPolicy(readFileSync(file, 'utf8'), {
    file,
    groups: new Set(directory.groups.keys()),
    users: new Set(directory.users.keys()),
  });
}
