import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  CHANGE_KINDS,
  EXPORT_FILES,
  LOOSENED,
  TIGHTENED,
  jsonlLines,
  loadPolicy,
  parseFailOn,
  recordedRequests,
  replayPolicy,
  suggestPolicy,
  PIN_AT_MOST,
  type ChangeKind,
  type RecordedRequestsOptions,
  type ReplayReport,
} from '@countersign/core';
import { AuditRepository, loadConfig } from '@countersign/server';
import { EXIT } from '../cli-error.js';
import { withStore } from '../open-store.js';
import { terminalJson, terminalSafe } from '../terminal-text.js';

/** Flags shared by `policy replay` and `policy suggest`. */
interface HistoryFlags {
  config: string;
  log?: string;
  from?: string;
  to?: string;
  json?: boolean;
}

/** Entries read from the store per query. */
const PAGE = 5000;

/**
 * `policy replay CANDIDATE.yaml`: what the candidate would have decided for every recorded
 * request, grouped by kind of change. Exit 1 when a kind named in `--fail-on` occurred, 2 for
 * an invalid candidate or time. The logic is core's replayPolicy; this only reads and prints.
 */
export async function policyReplay(
  candidateFile: string,
  options: HistoryFlags & { failOn?: string; examples?: string },
): Promise<number> {
  const window = timeWindow(options);
  if (typeof window === 'string') return usage(window);
  let failOn = new Set<ChangeKind>();
  try {
    if (options.failOn !== undefined) failOn = parseFailOn(options.failOn);
  } catch (e) {
    return usage(`--fail-on: ${(e as Error).message}`);
  }
  const config = loadConfig(options.config);
  const text = readText(candidateFile);
  if (text === undefined) return usage(`cannot read ${candidateFile}`);
  // An invalid candidate throws PolicyLoadError (policy_invalid): exit 2, issues by file:line.
  const candidate = loadPolicy(text, {
    file: candidateFile,
    groups: new Set(config.directory.groups.keys()),
    users: new Set(config.directory.users.keys()),
  });
  const examples = options.examples === undefined ? 3 : Number(options.examples);
  if (!Number.isInteger(examples) || examples < 0) return usage('--examples: a whole number');
  const report = await withEntries(options, (lines) =>
    replayPolicy(candidate, recordedRequests(lines, window), {
      // Only for requests the log's directory history does not cover (owners_from_today).
      owners: (id) => config.directory.agent(id)?.owners ?? [],
      examples,
    }),
  );
  const failed = CHANGE_KINDS.filter((k) => failOn.has(k) && report.changes[k].count > 0);
  if (options.json) {
    process.stdout.write(`${terminalJson({ ...report, failed_on: failed })}\n`);
  } else {
    printReport(report, candidateFile);
    if (failed.length > 0) {
      process.stdout.write(`\nFAIL: --fail-on matched ${failed.join(', ')}\n`);
    }
  }
  return failed.length > 0 ? EXIT.failed : EXIT.ok;
}

/**
 * `policy suggest`: allows and denies the history supports, as a diff of the live policy file
 * with the evidence. Never writes the file.
 */
export async function policySuggest(
  options: HistoryFlags & { minApprovals?: string },
): Promise<number> {
  const window = timeWindow(options);
  if (typeof window === 'string') return usage(window);
  const min = options.minApprovals === undefined ? 5 : Number(options.minApprovals);
  if (!Number.isInteger(min) || min < 1) return usage('--min-approvals: a whole number ≥ 1');
  const config = loadConfig(options.config);
  const text = readText(config.policyFile);
  if (text === undefined) return usage(`cannot read ${config.policyFile}`);
  const result = await withEntries(options, (lines) =>
    suggestPolicy(text, recordedRequests(lines, window), {
      minApprovals: min,
      file: basename(config.policyFile),
    }),
  );
  if (options.json) {
    process.stdout.write(`${terminalJson(result)}\n`);
    return EXIT.ok;
  }
  if (result.suggestions.length === 0) {
    process.stdout.write(`no suggestions (at least ${min} approvals or denials needed)\n`);
    return EXIT.ok;
  }
  const out = (s: string) => process.stdout.write(`${terminalSafe(s)}\n`);
  for (const s of result.suggestions) {
    const e = s.evidence;
    if (s.kind === 'allow') {
      const p = s.pattern;
      out(
        `allow ${p.action} on ${p.resource} (${p.environment}) by agent ${p.agent}: new rule ${s.new_rule} before ${s.rule}`,
      );
      out(
        `  ${e.approvals} approvals, 0 denials, by ${e.approvers.length} approvers (${e.approvers.join(', ')})`,
      );
      out(`  or grant the agent a standing approval for exactly this pattern instead`);
    } else if (s.kind === 'bounded-allow') {
      out(
        `allow under ${s.rule}, bounded to what was seen: new rule ${s.new_rule} before ${s.rule}`,
      );
      out(
        `  all ${e.approvals} requests approved unchanged, 0 denials, by ${e.approvers.length} approvers (${e.approvers.join(', ')})`,
      );
      for (const b of s.bounds) {
        out(`  params.${b.param}: at most ${b.max} observed (bound ${b.min} to ${b.max})`);
      }
      out(
        s.resources === null
          ? `  resources: more than ${PIN_AT_MOST} seen, not pinned`
          : `  resources pinned (${s.resources.length} seen): ${quoted(s.resources)}`,
      );
      if (s.agents !== null) out(`  agents pinned: ${quoted(s.agents)}`);
      if (s.standing_possible) {
        out(
          `  or ask a reviewer for a standing approval: countersign actions approve ID --standing-when ${shellQuote(s.when)} --standing-for ${s.standing_for ?? '8h'}`,
        );
      }
    } else {
      out(`deny under ${s.rule}: every one of its ${e.denials} requests was denied by reviewers`);
    }
    out(`  from ${e.first_at} to ${e.last_at}; e.g. ${e.examples.join(', ')}`);
  }
  process.stdout.write('\n');
  for (const line of result.diff.replace(/\n$/, '').split('\n')) out(line);
  process.stderr.write(
    `not applied: ${config.policyFile} is unchanged; review, apply, then replay\n`,
  );
  return EXIT.ok;
}

/** Agent-chosen values as JSON strings: a comma or quote inside one cannot pass for a list. */
function quoted(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

/** One shell word, single-quoted: the text stays literal whatever it holds. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

function usage(message: string): number {
  process.stderr.write(`countersign: ${terminalSafe(message)}\n`);
  return EXIT.usage;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** `--from`/`--to` as RFC 3339 times or dates; a message for a bad one. */
function timeWindow(options: HistoryFlags): RecordedRequestsOptions | string {
  const window: RecordedRequestsOptions = {};
  for (const key of ['from', 'to'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    const t = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(value)
      ? Date.parse(value)
      : NaN;
    if (Number.isNaN(t)) return `--${key} ${value}: not a date or an RFC 3339 time`;
    window[key] = t;
  }
  if (window.from !== undefined && window.to !== undefined && window.from >= window.to) {
    return '--from must be before --to';
  }
  return window;
}

/**
 * The log's entries, streamed: from `--log` (an `audit export` directory or its entries.jsonl),
 * or else from the gateway's store named by the config, a page at a time.
 */
async function withEntries<T>(
  options: HistoryFlags,
  f: (lines: AsyncIterable<readonly (string | Uint8Array)[]>) => Promise<T>,
): Promise<T> {
  if (options.log !== undefined) {
    let file = options.log;
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, EXPORT_FILES.entries);
    if (!existsSync(file)) throw new Error(`${options.log}: no audit export or entries file`);
    return f(jsonlLines(createReadStream(file, { highWaterMark: 1 << 20 })));
  }
  return withStore(options.config, async (storage) => {
    const audit = new AuditRepository(storage.db, storage.dialect);
    async function* pages() {
      for (let from = 0; ; from += PAGE) {
        const rows = await audit.entries(from, from + PAGE);
        if (rows.length === 0) return;
        yield rows.map((r) => r.entry);
      }
    }
    return f(pages());
  });
}

function printReport(report: ReplayReport, file: string) {
  const out = (s: string) => process.stdout.write(`${terminalSafe(s)}\n`);
  const span = report.first_at === null ? '' : ` submitted ${report.first_at} to ${report.last_at}`;
  out(`replayed ${report.requests} requests${span} against ${file}`);
  out(`  ${report.unchanged} unchanged`);
  if (report.redacted > 0) {
    out(`  ${report.redacted} had redacted fields: the candidate saw their HMAC, not the value`);
  }
  if (report.owners_from_today > 0) {
    out(
      `  ${report.owners_from_today} replayed with today's agent owners: the log has no directory history before them`,
    );
  }
  const groups: Array<[string, readonly ChangeKind[]]> = [
    ['loosened (fewer humans)', LOOSENED],
    ['tightened (more humans)', TIGHTENED],
    ['other', CHANGE_KINDS.filter((k) => !LOOSENED.includes(k) && !TIGHTENED.includes(k))],
  ];
  for (const [title, kinds] of groups) {
    const present = kinds.filter((k) => report.changes[k].count > 0);
    if (present.length === 0) continue;
    out(`${title}:`);
    for (const k of present) {
      const c = report.changes[k];
      out(`  ${k}: ${c.count}`);
      for (const e of c.examples) {
        out(
          `    ${e.id} ${e.at} agent ${e.agent}: ${e.action} on ${e.resource} (${e.environment})`,
        );
        out(
          `      was ${e.was.decision} [${e.was.rules.join(', ')}] ${e.was.outcome}; now ${e.now.decision} [${e.now.rules.join(', ')}]`,
        );
      }
    }
  }
  if (CHANGE_KINDS.every((k) => report.changes[k].count === 0)) out('no changes');
}
