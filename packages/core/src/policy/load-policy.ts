/**
 * `loadPolicy`: YAML text in, a validated, compiled policy out, or every problem with its
 * file, line and column.
 * @module
 */
import { createHash } from 'node:crypto';
import type { Node } from 'yaml';
import { isScalar } from 'yaml';
import { canonicalJson } from '../digest/canonical-json.js';
import type { JsonValue } from '../model/json.js';
import type { PolicyIssue } from './types.js';
import type { PolicyDefaults, PolicyDocument, PolicyRule } from './policy-document.js';
import { CompiledPolicy } from './compiled-policy.js';
import { CompiledRule } from './compiled-rule.js';
import { PolicyLoadError } from './policy-load-error.js';
import { readRule, ruleIdOf } from './read-rule.js';
import type { KnownNames } from './read-approval.js';
import { YamlReader } from './yaml-reader.js';

export interface LoadPolicyOptions extends KnownNames {
  /** Shown in every issue (`policy.yaml:12:5: …`). */
  file: string;
}

const TOP_KEYS = ['version', 'defaults', 'redact', 'rules'] as const;
const DEFAULT_APPROVAL_TIMEOUT_MS = 30 * 60_000;
// Redaction paths start at a free-form part of the request. A typo such as `parms.password`
// would silently redact nothing, so an unknown root is an error.
const REDACT_PATH = /^(params|context|justification|resource)(\.[A-Za-z0-9_-]+)*$/;

/**
 * Parses, validates and compiles a policy. Group and user names are checked against the
 * directory (`groups`, `users`), CEL conditions are parsed and planned once here.
 * Throws PolicyLoadError (code `policy_invalid`) listing every problem found.
 *
 * @example
 * const policy = loadPolicy(readFileSync('policy.yaml', 'utf8'), {
 *   file: 'policy.yaml',
 *   groups: new Set(['data-owners', 'sre-oncall']),
 *   users: new Set(['alice']),
 * });
 */
export function loadPolicy(source: string, opts: LoadPolicyOptions): CompiledPolicy {
  const r = YamlReader.parse(source, opts.file);
  if (r.issues.length > 0) throw new PolicyLoadError(r.issues);
  const f = r.fields(r.root, 'policy', TOP_KEYS, ['version', 'rules']);
  if (f === undefined) throw new PolicyLoadError(r.issues);

  const versionNode = f.get('version');
  if (versionNode !== undefined && !(isScalar(versionNode) && versionNode.value === 1)) {
    r.issue(versionNode, 'version must be 1');
  }
  const defaults = readDefaults(r, f.get('defaults'));

  const redact: string[] = [];
  const redactNode = f.get('redact');
  for (const path of (redactNode && r.stringList(redactNode, 'redact')) ?? []) {
    if (REDACT_PATH.test(path.value)) redact.push(path.value);
    else {
      r.issue(
        path.node,
        `redact: "${path.value}" must be a dotted path under params, context, justification or resource`,
      );
    }
  }

  const rules: PolicyRule[] = [];
  const compiled: CompiledRule[] = [];
  const firstLineOf = new Map<string, number>();
  for (const node of r.list(f.get('rules'), 'rules', true) ?? []) {
    const id = ruleIdOf(node);
    if (id !== undefined) {
      const first = firstLineOf.get(id);
      if (first !== undefined)
        r.issue(node, `duplicate rule id "${id}" (first defined at line ${first})`);
      else firstLineOf.set(id, r.position(node).line);
    }
    const before = r.issues.length;
    const read = readRule(r, node, opts, defaults.approval.timeout_ms);
    if (read === undefined) {
      // Belt and braces: a rule may never be dropped silently, or its deny would vanish.
      if (r.issues.length === before) r.issue(node, `rule "${id ?? '?'}" could not be read`);
      continue;
    }
    rules.push(read.rule);
    compiled.push(new CompiledRule(read.rule, read.condition));
  }

  if (r.issues.length > 0) throw new PolicyLoadError(sortIssues(r.issues));
  const document: PolicyDocument = { version: 1, defaults, redact, rules };
  let version: string;
  try {
    version = policyVersion(r.toJS());
  } catch (e) {
    // Unreachable after validation (every value was checked to be a string or a number),
    // but a policy that cannot be versioned must not load.
    const message = `policy cannot be versioned: ${e instanceof Error ? e.message : String(e)}`;
    throw new PolicyLoadError([{ file: opts.file, line: 1, column: 1, message }]);
  }
  return new CompiledPolicy(document, version, compiled);
}

/**
 * `sha256:<hex>` over the RFC 8785 canonical JSON of the document exactly as parsed (not
 * as normalised): comments, key order and quoting do not change it, any edit to a value
 * does, and an auditor can recompute it from the file with any YAML parser and JCS.
 */
function policyVersion(parsed: unknown): string {
  const canonical = canonicalJson(parsed as JsonValue);
  return `sha256:${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;
}

function readDefaults(r: YamlReader, node: Node | undefined): PolicyDefaults {
  const defaults: PolicyDefaults = {
    decision: 'deny',
    approval: { timeout_ms: DEFAULT_APPROVAL_TIMEOUT_MS, on_timeout: 'deny' },
  };
  if (node === undefined) return defaults;
  const f = r.fields(node, 'defaults', ['decision', 'approval']);
  const decisionNode = f?.get('decision');
  if (decisionNode !== undefined) {
    // require_approval as a default would put every unknown action in front of humans:
    // approval fatigue, and the approvers would not know what policy meant to ask.
    defaults.decision =
      r.oneOf(decisionNode, 'defaults.decision', ['deny', 'allow'] as const) ?? 'deny';
  }
  const approvalNode = f?.get('approval');
  if (approvalNode !== undefined) {
    const a = r.fields(approvalNode, 'defaults.approval', ['timeout', 'on_timeout']);
    const timeoutNode = a?.get('timeout');
    if (timeoutNode !== undefined) {
      defaults.approval.timeout_ms =
        r.duration(timeoutNode, 'defaults.approval.timeout') ?? DEFAULT_APPROVAL_TIMEOUT_MS;
    }
    const onTimeoutNode = a?.get('on_timeout');
    if (
      onTimeoutNode !== undefined &&
      !(isScalar(onTimeoutNode) && onTimeoutNode.value === 'deny')
    ) {
      r.issue(
        onTimeoutNode,
        'defaults.approval.on_timeout must be deny: an unanswered request is refused (fail closed)',
      );
    }
  }
  return defaults;
}

function sortIssues(issues: PolicyIssue[]): PolicyIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
}
