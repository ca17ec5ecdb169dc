/**
 * Policy suggestions from history: approvals that humans always gave become a narrower allow,
 * approvals they always refused become a deny. The result is a new policy text and its diff;
 * nothing is written (the operator reviews and applies it, then replays it).
 * @module
 */
import { isMap, isSeq, parseDocument, type YAMLMap } from 'yaml';
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
 * Edits the YAML document in place (comments and layout elsewhere kept) and fills in each
 * allow suggestion's new rule id.
 */
function apply(text: string, suggestions: Suggestion[]): string {
  if (suggestions.length === 0) return text;
  const doc = parseDocument(text);
  const seq = doc.get('rules');
  if (!isSeq(seq)) return text;
  const ids = new Set(seq.items.map((m) => (isMap(m) ? String(m.get('id')) : '')));
  const byId = (id: string) =>
    seq.items.find((m): m is YAMLMap => isMap(m) && String(m.get('id')) === id);
  for (const s of suggestions) {
    const rule = byId(s.rule);
    if (rule === undefined) continue;
    if (s.kind === 'deny') {
      rule.delete('require_approval');
      rule.delete('step_up');
      rule.delete('notify');
      rule.set('decision', 'deny');
      if (!rule.has('reason')) {
        rule.set('reason', `always denied by reviewers (${s.evidence.denials} times)`);
      }
      continue;
    }
    const base = s.rule.slice(0, 110);
    let n = 1;
    while (ids.has(`${base}-allow-${n}`)) n++;
    s.new_rule = `${base}-allow-${n}`;
    ids.add(s.new_rule);
    const p = s.pattern;
    const exact = `agent.id == ${cel(p.agent)} && action == ${cel(p.action)} && resource == ${cel(p.resource)} && environment == ${cel(p.environment)}`;
    // A `when` is a string (a load error otherwise), and the live policy loaded.
    const when = rule.get('when') as string | undefined;
    rule.set('when', when === undefined ? `!(${exact})` : `(${when}) && !(${exact})`);
    const added = doc.createNode({
      id: s.new_rule,
      description: `suggested: ${s.evidence.approvals} approvals under ${s.rule}, none denied, ${s.evidence.first_at} to ${s.evidence.last_at}`,
      match: { agent: p.agent, action: p.action, resource: p.resource, environment: p.environment },
      decision: 'allow',
    });
    seq.items.splice(seq.items.indexOf(rule), 0, added);
  }
  return doc.toString();
}
