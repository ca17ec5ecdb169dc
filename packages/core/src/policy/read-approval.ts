/**
 * Reads and normalises a rule's `require_approval` block.
 * @module
 */
import type { Node } from 'yaml';
import { isScalar } from 'yaml';
import type { GroupMinimum, StandingLimits } from './types.js';
import type { RuleApproval } from './policy-document.js';
import type { YamlReader } from './yaml-reader.js';
import { closestMatch } from './closest-match.js';
import { formatDuration } from './duration.js';

/** The directory a policy is checked against: names it may refer to. */
export interface KnownNames {
  groups: ReadonlySet<string>;
  users: ReadonlySet<string>;
}

const KEYS = [
  'from',
  'quorum',
  'timeout',
  'escalate',
  'justification',
  'break_glass',
  'standing',
] as const;

/** A standing approval's limits when the rule's `standing` block leaves them out. */
export const STANDING_DEFAULTS: StandingLimits = {
  max_ms: 8 * 3_600_000,
  max_uses: 100,
  critical: false,
};
/** The longest any standing approval may last, whatever the policy says. */
export const STANDING_MAX_MS = 30 * 86_400_000;
/** The most uses any standing approval may have, whatever the policy says. */
export const STANDING_MAX_USES = 10_000;

/**
 * `from` may list plain group names (a pool) and `{group, min}` entries (a pool member that
 * must also supply at least `min` distinct approvers). Normalised, `from` is the pool and
 * `groups` has one entry per pool group, `min: 0` for plain names. Without `quorum`, a plain
 * list needs one approval and a list with minimums needs the sum of the minimums.
 */
export function readApproval(
  r: YamlReader,
  node: Node,
  known: KnownNames,
  defaultTimeoutMs: number,
  label: string,
): RuleApproval | undefined {
  const at = (what: string): string => `${label}: ${what}`;
  const f = r.fields(node, at('require_approval'), KEYS, ['from']);
  if (f === undefined) return undefined;
  let ok = true;

  const from: string[] = [];
  const groups: GroupMinimum[] = [];
  let withMinimum = false;
  for (const entry of r.list(f.get('from'), at('require_approval.from')) ?? []) {
    let group: string | undefined;
    let min = 0;
    if (isScalar(entry)) {
      group = r.string(entry, at('require_approval.from: each entry'));
    } else {
      const e = r.fields(entry, at('require_approval.from entry'), ['group', 'min'], ['group']);
      group = e && r.string(e.get('group'), at('require_approval.from group'));
      const minNode = e?.get('min');
      min =
        minNode === undefined ? 1 : (r.integer(minNode, at('require_approval.from min'), 1) ?? 1);
      withMinimum = true;
    }
    if (group === undefined) {
      ok = false;
    } else if (!knownName(r, entry, 'group', group, known.groups, label)) {
      ok = false;
    } else if (from.includes(group)) {
      r.issue(entry, at(`group "${group}" is listed twice in require_approval.from`));
      ok = false;
    } else {
      from.push(group);
      groups.push({ group, min });
    }
  }
  if (f.get('from') !== undefined && from.length === 0) ok = false;

  const sumOfMinimums = groups.reduce((n, g) => n + g.min, 0);
  const quorumNode = f.get('quorum');
  let quorum = withMinimum ? Math.max(1, sumOfMinimums) : 1;
  if (quorumNode !== undefined) {
    const q = r.integer(quorumNode, at('require_approval.quorum'), 1);
    if (q === undefined) ok = false;
    else if (q < sumOfMinimums) {
      // Each human counts once, so the minimums alone already need that many approvers.
      r.issue(
        quorumNode,
        `${label}: require_approval.quorum (${q}) is less than the sum of the group minimums (${sumOfMinimums})`,
      );
      ok = false;
    } else quorum = q;
  }

  const timeoutNode = f.get('timeout');
  const timeout_ms = timeoutNode && r.duration(timeoutNode, at('require_approval.timeout'));
  if (timeoutNode !== undefined && timeout_ms === undefined) ok = false;

  let escalate: RuleApproval['escalate'];
  const escalateNode = f.get('escalate');
  if (escalateNode !== undefined) {
    const e = r.fields(
      escalateNode,
      at('require_approval.escalate'),
      ['after', 'to'],
      ['after', 'to'],
    );
    const afterNode = e?.get('after');
    const after_ms = afterNode && r.duration(afterNode, at('escalate.after'));
    const toNode = e?.get('to');
    const toItems = toNode && r.stringOrList(toNode, at('escalate.to'));
    const to = toItems?.map((t) => t.value);
    const toOk = toItems !== undefined && allKnown(r, toItems, 'group', known.groups, label);
    const effectiveTimeout = timeout_ms ?? defaultTimeoutMs;
    if (after_ms !== undefined && after_ms >= effectiveTimeout) {
      r.issue(
        afterNode,
        `${label}: escalate.after (${formatDuration(after_ms)}) must be shorter than the approval timeout (${formatDuration(effectiveTimeout)}), or it never fires`,
      );
      ok = false;
    } else if (after_ms !== undefined && to !== undefined && toOk) {
      escalate = { after_ms, to };
    } else ok = false;
  }

  const justificationNode = f.get('justification');
  const justification =
    justificationNode === undefined
      ? 'optional'
      : r.oneOf(justificationNode, at('require_approval.justification'), [
          'required',
          'optional',
        ] as const);
  if (justification === undefined) ok = false;

  const breakGlassNode = f.get('break_glass');
  const breakGlass =
    breakGlassNode === undefined
      ? []
      : r.stringList(breakGlassNode, at('require_approval.break_glass'));
  if (breakGlass === undefined || !allKnown(r, breakGlass, 'user', known.users, label)) {
    ok = false;
  }
  const break_glass = breakGlass?.map((u) => u.value);

  const standingNode = f.get('standing');
  const standing =
    standingNode === undefined ? undefined : readStanding(r, standingNode, at('standing'));
  if (standing === false) ok = false;

  if (!ok || break_glass === undefined) return undefined;
  return {
    ...(standing !== undefined && standing !== false ? { standing: standing.limits } : {}),
    from,
    groups,
    quorum,
    timeout_ms,
    escalate,
    break_glass,
    justification_required: justification === 'required',
  };
}

/**
 * `standing: false` forbids standing approvals of the rule; `standing: true` or a block allows
 * them within the limits (defaults for what the block leaves out). Returns false on an issue.
 */
function readStanding(
  r: YamlReader,
  node: Node,
  what: string,
): { limits: StandingLimits | null } | false {
  if (isScalar(node) && typeof node.value === 'boolean') {
    return { limits: node.value ? { ...STANDING_DEFAULTS } : null };
  }
  const f = r.fields(node, what, ['max_duration', 'max_uses', 'critical']);
  if (f === undefined) return false;
  const limits = { ...STANDING_DEFAULTS };
  let ok = true;
  const durationNode = f.get('max_duration');
  if (durationNode !== undefined) {
    const ms = r.duration(durationNode, `${what}.max_duration`);
    if (ms === undefined) ok = false;
    else if (ms > STANDING_MAX_MS) {
      r.issue(durationNode, `${what}.max_duration must be at most 30d`);
      ok = false;
    } else limits.max_ms = ms;
  }
  const usesNode = f.get('max_uses');
  if (usesNode !== undefined) {
    const n = r.integer(usesNode, `${what}.max_uses`, 1);
    if (n === undefined) ok = false;
    else if (n > STANDING_MAX_USES) {
      r.issue(usesNode, `${what}.max_uses must be at most ${STANDING_MAX_USES}`);
      ok = false;
    } else limits.max_uses = n;
  }
  const criticalNode = f.get('critical');
  if (criticalNode !== undefined) {
    if (isScalar(criticalNode) && typeof criticalNode.value === 'boolean') {
      limits.critical = criticalNode.value;
    } else {
      r.issue(criticalNode, `${what}.critical must be true or false`);
      ok = false;
    }
  }
  return ok ? { limits } : false;
}

/** Checks every name (not just up to the first unknown one, so all are reported). */
function allKnown(
  r: YamlReader,
  items: ReadonlyArray<{ value: string; node: Node }>,
  kind: 'group' | 'user',
  known: ReadonlySet<string>,
  label: string,
): boolean {
  let ok = true;
  for (const item of items)
    if (!knownName(r, item.node, kind, item.value, known, label)) ok = false;
  return ok;
}

/** Records an issue unless `name` is in the directory; suggests the likely intended name. */
function knownName(
  r: YamlReader,
  node: Node | undefined,
  kind: 'group' | 'user',
  name: string,
  known: ReadonlySet<string>,
  label: string,
): boolean {
  if (known.has(name)) return true;
  const hint = closestMatch(name, known);
  r.issue(
    node,
    `${label}: unknown ${kind} "${name}"` +
      (hint !== undefined ? ` (did you mean "${hint}"?)` : ''),
  );
  return false;
}
