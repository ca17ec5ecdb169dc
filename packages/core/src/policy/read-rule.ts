/**
 * Reads and validates one entry of `rules`.
 * @module
 */
import type { Node } from 'yaml';
import { isMap, isScalar } from 'yaml';
import type { PolicyRule, RuleApproval, RuleMatch } from './policy-document.js';
import type { YamlReader } from './yaml-reader.js';
import { CelCondition } from './cel.js';
import { readApproval, type KnownNames } from './read-approval.js';
import { readNotify, readStepUp } from './read-notify.js';

const RULE_KEYS = [
  'id',
  'description',
  'match',
  'when',
  'decision',
  'require_approval',
  'reason',
  'step_up',
  'notify',
] as const;
const MATCH_KEYS = ['action', 'resource', 'environment', 'agent'] as const;
// Rule ids end up in decisions, grants, audit entries and log lines: keep them plain.
const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** A validated rule and its compiled condition. */
export interface ReadRule {
  rule: PolicyRule;
  condition: CelCondition | undefined;
}

export function readRule(
  r: YamlReader,
  node: Node,
  known: KnownNames,
  defaultTimeoutMs: number,
): ReadRule | undefined {
  const peeked = ruleIdOf(node);
  const label = peeked === undefined ? 'rule' : `rule "${peeked}"`;
  const f = r.fields(node, label, RULE_KEYS, ['id']);
  if (f === undefined) return undefined;
  const idNode = f.get('id');
  const id = idNode && r.string(idNode, 'rule id');
  if (id !== undefined && !RULE_ID.test(id)) {
    r.issue(idNode, `rule id "${id}" must be letters, digits, '_', '.', ':' or '-' (at most 128)`);
  }
  let ok = id !== undefined && RULE_ID.test(id);

  const optionalString = (key: string): string | undefined => {
    const n = f.get(key);
    if (n === undefined) return undefined;
    const s = r.string(n, `${label}: ${key}`);
    if (s === undefined) ok = false;
    return s;
  };
  const description = optionalString('description');
  const reason = optionalString('reason');

  const match: RuleMatch = {};
  const matchNode = f.get('match');
  if (matchNode !== undefined) {
    const m = r.fields(matchNode, `${label}: match`, MATCH_KEYS);
    if (m === undefined) ok = false;
    for (const key of MATCH_KEYS) {
      const n = m?.get(key);
      if (n === undefined) continue;
      const patterns = r.stringOrList(n, `${label}: match.${key}`);
      if (patterns === undefined) ok = false;
      else match[key] = patterns.map((p) => p.value);
    }
  }

  const whenNode = f.get('when');
  let when: string | undefined;
  let condition: CelCondition | undefined;
  if (whenNode !== undefined) {
    when = r.string(whenNode, `${label}: when (a CEL expression)`);
    if (when === undefined) ok = false;
    else {
      const compiled = CelCondition.compile(when);
      if (compiled.ok) condition = compiled.condition;
      else {
        ok = false;
        for (const p of compiled.problems) {
          const at = celOffset(r, whenNode, when, p.offset);
          r.issueAt(
            at.offset,
            `${label}: when: ${p.message}${at.exact ? '' : ` (at character ${p.offset + 1} of the condition)`}`,
          );
        }
      }
    }
  }

  const decisionNode = f.get('decision');
  const approvalNode = f.get('require_approval');
  let effect: PolicyRule['effect'] | undefined;
  let approval: RuleApproval | undefined;
  if (decisionNode !== undefined && approvalNode !== undefined) {
    r.issue(
      decisionNode,
      `${label}: has both decision and require_approval; a rule needs exactly one`,
    );
    readApproval(r, approvalNode, known, defaultTimeoutMs, label); // for its own issues
    ok = false;
  } else if (decisionNode !== undefined) {
    if (isScalar(decisionNode) && decisionNode.value === 'require_approval') {
      r.issue(
        decisionNode,
        `${label}: decision must be allow or deny; write a require_approval block to ask for approval`,
      );
    } else {
      effect = r.oneOf(decisionNode, `${label}: decision`, ['allow', 'deny'] as const);
    }
  } else if (approvalNode !== undefined) {
    approval = readApproval(r, approvalNode, known, defaultTimeoutMs, label);
    if (approval !== undefined) effect = 'require_approval';
  } else {
    r.issue(node, `${label}: needs either decision (allow or deny) or require_approval`);
  }

  // How approvals are asked for (chat channels, step-up to the web UI): approval rules only.
  for (const key of ['step_up', 'notify'] as const) {
    const n = f.get(key);
    if (n === undefined) continue;
    if (approvalNode === undefined) {
      r.issue(n, `${label}: ${key} applies only to a rule with require_approval`);
      ok = false;
      continue;
    }
    if (key === 'step_up') {
      const stepUp = readStepUp(r, n, label);
      if (stepUp === undefined) ok = false;
      else if (approval !== undefined) approval.step_up = stepUp;
    } else {
      const notify = readNotify(r, n, label);
      if (notify === undefined) ok = false;
      else if (approval !== undefined) approval.notify = notify;
    }
  }

  if (!ok || id === undefined || effect === undefined) return undefined;
  return {
    rule: {
      id,
      description,
      match,
      when,
      effect,
      approval,
      reason,
      location: { file: r.file, ...r.position(node) },
    },
    condition,
  };
}

/** The rule's id if it has a string one: for messages and duplicate detection in broken rules. */
export function ruleIdOf(node: Node): string | undefined {
  if (!isMap(node)) return undefined;
  const id: unknown = node.get('id', true);
  return isScalar(id) && typeof id.value === 'string' ? id.value : undefined;
}

/**
 * Where in the file a problem at `offset` in the condition is. Exact when the YAML scalar is
 * the expression verbatim: plain or quoted without escapes on one line, or a `|` block;
 * otherwise the start of the `when` value, and the message says where in the condition.
 */
function celOffset(
  r: YamlReader,
  node: Node,
  expr: string,
  offset: number,
): { offset: number; exact: boolean } {
  const start = r.offset(node);
  const raw = r.sourceOf(node);
  if (isScalar(node) && !raw.includes('\n')) {
    if (node.type === 'PLAIN' && raw === expr) return { offset: start + offset, exact: true };
    const quoted = node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE';
    if (quoted && raw.slice(1, -1) === expr) return { offset: start + 1 + offset, exact: true };
  }
  if (isScalar(node) && node.type === 'BLOCK_LITERAL') {
    const at = blockOffset(raw, expr, offset);
    if (at !== undefined) return { offset: start + at, exact: true };
  }
  return { offset: start, exact: false };
}

/**
 * In a `|` block each line of the expression is one source line after the header, minus
 * the block's indentation. Checked line by line, so any surprise gives up (undefined).
 */
function blockOffset(raw: string, expr: string, offset: number): number | undefined {
  const source = raw.split('\n');
  const lines = expr.split('\n');
  const indent = /^ */.exec(source.find((l, i) => i > 0 && l.trim() !== '') ?? '')?.[0].length ?? 0;
  let rawAt = (source[0]?.length ?? 0) + 1;
  let exprAt = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const src = source[i + 1];
    if (src === undefined || (src.slice(indent) !== line && !(line === '' && src.trim() === '')))
      return undefined;
    if (offset <= exprAt + line.length) return rawAt + indent + (offset - exprAt);
    rawAt += src.length + 1;
    exprAt += line.length + 1;
  }
  return undefined;
}
