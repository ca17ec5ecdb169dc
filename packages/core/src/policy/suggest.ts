/**
 * Policy suggestions from history: approvals that humans always gave become a narrower allow,
 * approvals they always refused become a deny. The result is a new policy text and its diff;
 * nothing is written (the operator reviews and applies it, then replays it).
 * @module
 */
import {
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  stringify,
  type Node,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import type { RecordedRequest } from './recorded-requests.js';
import { unifiedDiff } from './unified-diff.js';

/** What the evidence for one suggestion is. */
export interface SuggestionEvidence {
  /** Approved by humans with no deny vote and no break-glass. */
  approvals: number;
  denials: number;
  approvers: string[];
  first_at: string;
  last_at: string;
  examples: string[];
}

export type Suggestion =
  | {
      kind: 'allow';
      /** The approval rule that asked for these. */
      rule: string;
      /** The new rule's id, placed before `rule`. */
      new_rule: string;
      pattern: { agent: string; action: string; resource: string; environment: string };
      evidence: SuggestionEvidence;
    }
  | { kind: 'deny'; rule: string; evidence: SuggestionEvidence };

export interface SuggestOptions {
  /** Approvals (or denials) a pattern needs before it is suggested. */
  minApprovals: number;
  /** The policy's file name, for the diff headers. */
  file: string;
}

export interface SuggestResult {
  suggestions: Suggestion[];
  /** The policy with every suggestion applied (equal to the input when there are none). */
  policy: string;
  diff: string;
}

type Pattern = { agent: string; action: string; resource: string; environment: string };
interface Tally extends SuggestionEvidence {
  other: number;
  approverSet: Set<string>;
}

/**
 * Tallies the requests each approval rule alone decided, by exact agent, action, resource and
 * environment, and proposes: an allow for a pattern approved at least `minApprovals` times and
 * never denied, with the rule excluding that pattern (rules combine most-restrictive-first, so
 * an allow alone would still be outvoted); a deny for a rule all of whose requests were denied,
 * at least `minApprovals` of them. Patterns with glob characters (`*`, `?`) are not suggested:
 * a `match` value cannot say them literally.
 */
export async function suggestPolicy(
  policyText: string,
  requests: AsyncIterable<readonly RecordedRequest[]> | Iterable<readonly RecordedRequest[]>,
  options: SuggestOptions,
): Promise<SuggestResult> {
  const patterns = new Map<string, { rule: string; pattern: Pattern; tally: Tally }>();
  const rules = new Map<string, Tally>();
  for await (const batch of requests) {
    for (const r of batch) {
      if (r.recorded.decision !== 'require_approval' || r.recorded.rules.length !== 1) continue;
      const rule = r.recorded.rules[0];
      const pattern: Pattern = {
        agent: r.input.agent.id,
        action: r.input.action,
        resource: r.input.resource,
        environment: r.input.environment,
      };
      const key = JSON.stringify([
        rule,
        pattern.agent,
        pattern.action,
        pattern.resource,
        pattern.environment,
      ]);
      let p = patterns.get(key);
      if (p === undefined) patterns.set(key, (p = { rule, pattern, tally: tally() }));
      let t = rules.get(rule);
      if (t === undefined) rules.set(rule, (t = tally()));
      count(p.tally, r);
      count(t, r);
    }
  }

  const suggestions: Suggestion[] = [];
  for (const { rule, pattern, tally: t } of patterns.values()) {
    if (t.approvals < options.minApprovals || t.denials > 0 || t.other > 0) continue;
    if (Object.values(pattern).some((v) => /[*?]/.test(v))) continue;
    suggestions.push({ kind: 'allow', rule, new_rule: '', pattern, evidence: evidence(t) });
  }
  for (const [rule, t] of rules) {
    if (t.denials >= options.minApprovals && t.approvals === 0 && t.other === 0) {
      suggestions.push({ kind: 'deny', rule, evidence: evidence(t) });
    }
  }
  const policy = apply(policyText, suggestions);
  return {
    suggestions,
    policy,
    diff: unifiedDiff(policyText, policy, `a/${options.file}`, `b/${options.file}`),
  };
}

function tally(): Tally {
  return {
    approvals: 0,
    denials: 0,
    other: 0,
    approvers: [],
    approverSet: new Set(),
    first_at: '',
    last_at: '',
    examples: [],
  };
}

function count(t: Tally, r: RecordedRequest) {
  const denied = r.outcome === 'denied' || r.denials > 0;
  const clean = r.outcome === 'approved' && !denied && !r.break_glass && r.approvers.length > 0;
  if (denied) t.denials++;
  else if (clean) t.approvals++;
  else t.other++;
  for (const a of r.approvers) t.approverSet.add(a);
  if (t.first_at === '' || r.at < t.first_at) t.first_at = r.at;
  if (r.at > t.last_at) t.last_at = r.at;
  if (t.examples.length < 3) t.examples.push(r.id);
}

function evidence(t: Tally): SuggestionEvidence {
  return {
    approvals: t.approvals,
    denials: t.denials,
    approvers: [...t.approverSet].sort(),
    first_at: t.first_at,
    last_at: t.last_at,
    examples: t.examples,
  };
}

/** A CEL string literal: JSON's escapes are CEL's (CEL spec, "String and Bytes Values"). */
const cel = (s: string) => JSON.stringify(s);

/**
 * Applies the suggestions to the policy text and fills in each allow suggestion's new rule id.
 * Block-style rules are edited as text at the YAML nodes' offsets, so every other line stays
 * byte for byte and the diff shows only the change; anything else (a rule written as a flow
 * map, a `when` block scalar) goes through the document model, which re-lays the file out.
 */
function apply(text: string, suggestions: Suggestion[]): string {
  if (suggestions.length === 0) return text;
  const doc = parseDocument(text);
  const seq = doc.get('rules');
  if (!isSeq(seq)) return text;
  const ids = new Set(seq.items.map((m) => (isMap(m) ? String(m.get('id')) : '')));
  const byId = (id: string) =>
    seq.items.find((m): m is YAMLMap => isMap(m) && String(m.get('id')) === id);
  // The live text's rules, unchanged, for the offsets the text edits start from.
  const original = parseDocument(text).get('rules');
  const edits: Edit[] = [];
  const edited = new Set<YAMLMap>();
  let textual = true;
  for (const s of suggestions) {
    const rule = byId(s.rule);
    if (rule === undefined) continue;
    if (s.kind === 'allow') {
      const base = s.rule.slice(0, 110);
      let n = 1;
      while (ids.has(`${base}-allow-${n}`)) n++;
      s.new_rule = `${base}-allow-${n}`;
      ids.add(s.new_rule);
    }
    const change = ruleChange(s, rule);
    for (const key of change.remove) rule.delete(key);
    for (const [key, value] of Object.entries(change.set)) rule.set(key, value);
    if (change.before !== undefined)
      seq.items.splice(seq.items.indexOf(rule), 0, doc.createNode(change.before));
    // A second change of one rule builds on the first: only the document model has both.
    const edit =
      textual && !edited.has(rule) && isSeq(original)
        ? textEdits(text, original, rule, change)
        : undefined;
    edited.add(rule);
    if (edit === undefined) textual = false;
    else edits.push(...edit);
  }
  if (!textual) return doc.toString({ lineWidth: 0 });
  let out = text;
  for (const e of edits.sort((a, b) => b.at - a.at || b.order - a.order)) {
    out = out.slice(0, e.at) + e.insert + out.slice(e.at + e.remove);
  }
  return out;
}

interface RuleChange {
  /** A new rule to place before this one. */
  before?: Record<string, unknown> | undefined;
  /** Keys to remove, and keys to set (after the rule's `id`), in this order. */
  remove: string[];
  set: Record<string, string>;
}

function ruleChange(s: Suggestion, rule: YAMLMap): RuleChange {
  if (s.kind === 'deny') {
    const reason = `always denied by reviewers (${s.evidence.denials} times)`;
    return {
      remove: ['require_approval', 'step_up', 'notify'],
      set: { decision: 'deny', ...(rule.has('reason') ? {} : { reason }) },
    };
  }
  const p = s.pattern;
  const when = rule.get('when') as string | undefined;
  const exact = `agent.id == ${cel(p.agent)} && action == ${cel(p.action)} && resource == ${cel(p.resource)} && environment == ${cel(p.environment)}`;
  return {
    before: {
      id: s.new_rule,
      description: `suggested: ${s.evidence.approvals} approvals under ${s.rule}, none denied, ${s.evidence.first_at} to ${s.evidence.last_at}`,
      match: { agent: p.agent, action: p.action, resource: p.resource, environment: p.environment },
      decision: 'allow',
    },
    remove: [],
    // A `when` is a string (a load error otherwise), and the live policy loaded.
    set: { when: when === undefined ? `!(${exact})` : `(${when}) && !(${exact})` },
  };
}

interface Edit {
  at: number;
  remove: number;
  insert: string;
  /** Ties at one offset apply in the order they were made. */
  order: number;
}

let editOrder = 0;

/**
 * The text edits for one rule of a block sequence (`original`: the live text's `rules`), or undefined when the rule's layout is not
 * one this can edit in place. `rule` has already been changed in the document: the values to
 * write are read from it.
 */
function textEdits(
  text: string,
  original: YAMLSeq,
  rule: YAMLMap,
  change: RuleChange,
): Edit[] | undefined {
  if (rule.flow || rule.range === undefined || rule.range === null) return undefined;
  const start = rule.range[0];
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const dash = text.slice(lineStart, start);
  if (!/^ *- +$/.test(dash)) return undefined;
  const indent = ' '.repeat(dash.length);
  const edits: Edit[] = [];
  const edit = (at: number, remove: number, insert: string) =>
    edits.push({ at, remove, insert, order: editOrder++ });
  const lineEnd = (offset: number) => {
    const nl = text.indexOf('\n', offset);
    return nl < 0 ? text.length : nl + 1;
  };
  if (change.before !== undefined) {
    const lines = stringify(change.before, { lineWidth: 0 }).trimEnd().split('\n');
    edit(lineStart, 0, `${lines.map((l, i) => (i === 0 ? dash : indent) + l).join('\n')}\n`);
  }
  // The live text's pairs: removed keys go, a set key replaces its value or is added after `id`.
  const before = original.items.find((m): m is YAMLMap => isMap(m) && m.range?.[0] === start);
  if (before === undefined) return undefined;
  const old = (key: string) =>
    before.items.find((p) => isScalar(p.key) && p.key.value === key) as
      { key: Scalar; value: Node | null } | undefined;
  for (const key of change.remove) {
    const p = old(key);
    if (p === undefined) continue;
    const from = text.lastIndexOf('\n', (p.key.range?.[0] ?? 0) - 1) + 1;
    const to = lineEnd((p.value?.range?.[1] ?? p.key.range?.[1] ?? from) - 1);
    if (from === lineStart) return undefined;
    edit(from, to - from, '');
  }
  const id = old('id');
  if (id?.value?.range === undefined || id.value.range === null) return undefined;
  const afterId = lineEnd(id.value.range[1]);
  for (const [key, set] of Object.entries(change.set)) {
    const value = stringify(set, { lineWidth: 0 }).trimEnd();
    if (value.includes('\n')) return undefined;
    const p = old(key);
    if (p === undefined) edit(afterId, 0, `${indent}${key}: ${value}\n`);
    else if (isScalar(p.value) && p.value.range && !String(p.value.type).startsWith('BLOCK')) {
      edit(p.value.range[0], p.value.range[1] - p.value.range[0], value);
    } else return undefined;
  }
  return edits;
}
