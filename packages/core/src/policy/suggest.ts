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
import { standingLimits } from '../approvals/standing-approval.js';
import { inertJsonLine, wellFormed } from '../text/inert-text.js';
import { formatDuration } from './duration.js';
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
  | {
      /**
       * Every request of `rule` was approved unchanged: an allow over the rule's own match and
       * `when`, narrowed to the numeric params' observed range and (when few) the resources
       * and agents seen.
       */
      kind: 'bounded-allow';
      rule: string;
      new_rule: string;
      /** The CEL the new rule adds to the rule's `when` (and the rule excludes). */
      when: string;
      /** Per numeric param: the largest value seen, and the lower bound written. */
      bounds: Array<{ param: string; max: number; min: number }>;
      /** The resources pinned, or null when more than PIN_AT_MOST were seen. */
      resources: string[] | null;
      /** The agents pinned, or null when more than PIN_AT_MOST were seen. */
      agents: string[] | null;
      /**
       * The rule asks one reviewer, with no step-up, so one reviewer's standing approval could
       * stand in for the new rule (docs/policy.md "Suggestions from history").
       */
      standing_possible: boolean;
      /**
       * The `--standing-for` to print with it: 8h, or less where the rule's `standing` block
       * allows less (null when `standing_possible` is false).
       */
      standing_for: string | null;
      evidence: SuggestionEvidence;
    }
  | { kind: 'deny'; rule: string; evidence: SuggestionEvidence };

/** Resources (and agents) are pinned by a bounded allow when at most this many were seen. */
export const PIN_AT_MOST = 5;

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

/** What a rule's requests had in common, for a bounded allow. */
interface Shape {
  requests: number;
  /** Up to PIN_AT_MOST + 1 distinct values each (one more says "too many to pin"). */
  resources: Set<string>;
  agents: Set<string>;
  /** Top-level params that were a finite number in every request so far. */
  numbers: Map<string, { min: number; max: number }> | undefined;
  /**
   * One reviewer, no step-up, and a standing approval the rule allows (for the request's
   * risk), in every request's recorded requirement.
   */
  single: boolean;
  /** The shortest `standing.max_duration` of those requirements. */
  standingMaxMs: number;
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
  const shapes = new Map<string, Shape>();
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
      let shape = shapes.get(rule);
      if (shape === undefined) shapes.set(rule, (shape = newShape()));
      observe(shape, r, rule);
    }
  }

  const suggestions: Suggestion[] = [];
  const bounded = new Set<string>();
  for (const [rule, t] of rules) {
    if (!approvedOnly(t, options.minApprovals)) continue;
    const b = boundedAllow(rule, t, shapes.get(rule) ?? newShape());
    if (b === undefined) continue;
    suggestions.push(b);
    bounded.add(rule);
  }
  for (const { rule, pattern, tally: t } of patterns.values()) {
    // The rule's bounded allow covers these requests already, and bounds their params.
    if (bounded.has(rule)) continue;
    if (!approvedOnly(t, options.minApprovals)) continue;
    if (Object.values(pattern).some((v) => /[*?]/.test(v) || !literal(v))) continue;
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

/** Approved at least `min` times, and never denied or otherwise settled. */
const approvedOnly = (t: Tally, min: number) =>
  t.approvals >= min && t.denials === 0 && t.other === 0;

function newShape(): Shape {
  return {
    requests: 0,
    resources: new Set(),
    agents: new Set(),
    numbers: undefined,
    single: true,
    standingMaxMs: STANDING_FOR_MS,
  };
}

/** CEL identifiers a bound can name as `params.<key>` (and `has()` can test). */
const CEL_FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CEL_RESERVED = new Set(
  'as break const continue else false for function if import in let loop package namespace null return true var void while'.split(
    ' ',
  ),
);

function observe(shape: Shape, r: RecordedRequest, rule: string) {
  shape.requests++;
  if (shape.resources.size <= PIN_AT_MOST) shape.resources.add(r.input.resource);
  if (shape.agents.size <= PIN_AT_MOST) shape.agents.add(r.input.agent.id);
  const numeric = new Map<string, number>();
  for (const [k, v] of Object.entries(r.input.params)) {
    if (typeof v === 'number' && Number.isFinite(v) && CEL_FIELD.test(k) && !CEL_RESERVED.has(k))
      numeric.set(k, v);
  }
  if (shape.numbers === undefined) {
    shape.numbers = new Map([...numeric].map(([k, v]) => [k, { min: v, max: v }]));
  } else {
    for (const [k, range] of shape.numbers) {
      const v = numeric.get(k);
      if (v === undefined) shape.numbers.delete(k);
      else {
        range.min = Math.min(range.min, v);
        range.max = Math.max(range.max, v);
      }
    }
  }
  const clause = r.recorded.approval?.clauses.find((c) => c.rule === rule);
  const groupsAskMore = clause?.groups.some((g) => g.min > 1) ?? false;
  const limits = clause === undefined ? null : standingLimits(clause);
  if (
    clause === undefined ||
    clause.quorum !== 1 ||
    groupsAskMore ||
    clause.step_up !== undefined ||
    limits === null ||
    (r.input.risk === 'critical' && !limits.critical)
  )
    shape.single = false;
  else shape.standingMaxMs = Math.min(shape.standingMaxMs, limits.max_ms);
}

/** The duration the printed standing-approval alternative asks for, at most. */
const STANDING_FOR_MS = 8 * 3_600_000;

/** A CEL number literal (JSON's form is CEL's, exponent included). */
const celNumber = (n: number) => (Object.is(n, -0) ? '0' : String(n));

/**
 * The bounded allow for a rule every request of which was approved unchanged, or undefined
 * when nothing would narrow it (no numeric param, and too many resources and agents to pin):
 * an allow over all the rule matches is not a suggestion this makes.
 */
function boundedAllow(rule: string, t: Tally, shape: Shape): Suggestion | undefined {
  const bounds = [...(shape.numbers ?? [])]
    .map(([param, r]) => ({ param, max: r.max, min: Math.min(0, r.min) }))
    .sort((a, b) => (a.param < b.param ? -1 : a.param > b.param ? 1 : 0));
  const resources = shape.resources.size <= PIN_AT_MOST ? [...shape.resources].sort() : null;
  const agents = shape.agents.size <= PIN_AT_MOST ? [...shape.agents].sort() : null;
  if (bounds.length === 0 && resources === null) return undefined;
  // A value CEL cannot write (a lone surrogate): no pin of it, and no allow wider than the pin.
  if (![...(resources ?? []), ...(agents ?? [])].every(literal)) return undefined;
  // `has` and the type test keep a request without the param, or with a string, out of the
  // allow without a CEL error (which would deny it where the rule asks for approval).
  const terms = bounds.map(
    (b) =>
      `has(params.${b.param}) && type(params.${b.param}) == double && ` +
      `params.${b.param} >= ${celNumber(b.min)} && params.${b.param} <= ${celNumber(b.max)}`,
  );
  if (resources !== null) terms.push(`resource in [${resources.map(cel).join(', ')}]`);
  if (agents !== null) terms.push(`agent.id in [${agents.map(cel).join(', ')}]`);
  return {
    kind: 'bounded-allow',
    rule,
    new_rule: '',
    when: terms.join(' && '),
    bounds,
    resources,
    agents,
    standing_possible: shape.single,
    standing_for: shape.single ? formatDuration(shape.standingMaxMs) : null,
    evidence: evidence(t),
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

/**
 * A CEL string literal: JSON's escapes are CEL's (CEL spec, "String and Bytes Values"), with
 * every character a terminal or editor would obey (bidi overrides, C1, line separators)
 * escaped too, so the policy text and the `--standing-when` printed hold no such character
 * and paste back as the same value.
 */
const cel = (s: string) => inertJsonLine(s);

/** CEL strings are code points: a lone surrogate has no literal (the policy would not load). */
const literal = (s: string) => wellFormed(s) === s;

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
    if (s.kind !== 'deny') {
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
  const when = rule.get('when') as string | undefined;
  if (s.kind === 'bounded-allow') {
    const match: unknown = rule.get('match');
    return {
      before: {
        id: s.new_rule,
        description: `suggested: all ${s.evidence.approvals} requests under ${s.rule} approved unchanged, ${s.evidence.first_at} to ${s.evidence.last_at}; bounded to what was seen`,
        ...(match === undefined ? {} : { match: isMap(match) ? match.toJSON() : match }),
        when: when === undefined ? s.when : `(${when}) && ${s.when}`,
        decision: 'allow',
      },
      remove: [],
      set: { when: when === undefined ? `!(${s.when})` : `(${when}) && !(${s.when})` },
    };
  }
  const p = s.pattern;
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
