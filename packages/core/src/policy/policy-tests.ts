/**
 * `countersign policy test cases.yaml`: unit tests for a policy, written as YAML.
 * @module
 */
import type { Node } from 'yaml';
import { isJsonObject, type JsonObject } from '../model/json.js';
import { RISKS } from '../model/action-request.js';
import { DEFAULT_ENVIRONMENT } from '../model/action-request.js';
import type { Decision } from '../model/status.js';
import type { PolicyDecision, PolicyInput } from './types.js';
import type { CompiledPolicy } from './compiled-policy.js';
import { PolicyLoadError } from './policy-load-error.js';
import { YamlReader } from './yaml-reader.js';

export interface PolicyTestExpectation {
  decision: Decision;
  /** If given, exactly these rule ids (in any order) must have decided. */
  rules?: string[] | undefined;
  /** If given, the reason must contain this text. */
  reason_contains?: string | undefined;
}

export interface PolicyTestFailure {
  name: string;
  /** Line of the case in the cases file. */
  line: number;
  expected: PolicyTestExpectation;
  /** The whole decision, so a runner can print `explainDecision(actual)`. */
  actual: PolicyDecision;
  /** What differed, one sentence each. */
  mismatches: string[];
}

export interface PolicyTestReport {
  passed: number;
  failed: PolicyTestFailure[];
}

interface PolicyTestCase {
  name: string;
  line: number;
  request: PolicyInput;
  expect: PolicyTestExpectation;
}

const REQUEST_KEYS = [
  'action',
  'resource',
  'environment',
  'params',
  'agent',
  'risk',
  'justification',
  'on_behalf_of',
  'context',
] as const;
const DECISIONS: readonly Decision[] = ['allow', 'deny', 'require_approval'];

/**
 * Runs every case of a cases file against `policy`. A malformed cases file throws
 * PolicyLoadError with `file:line:column` issues; failing cases are reported, not thrown.
 *
 * @example
 * const report = runPolicyTests(policy, readFileSync('cases.yaml', 'utf8'), 'cases.yaml');
 * if (report.failed.length > 0) process.exitCode = 1;
 */
export function runPolicyTests(
  policy: CompiledPolicy,
  casesYamlSource: string,
  file: string,
): PolicyTestReport {
  const report: PolicyTestReport = { passed: 0, failed: [] };
  for (const c of readCases(casesYamlSource, file)) {
    const actual = policy.evaluate(c.request);
    const mismatches = compare(c.expect, actual);
    if (mismatches.length === 0) report.passed++;
    else report.failed.push({ name: c.name, line: c.line, expected: c.expect, actual, mismatches });
  }
  return report;
}

function compare(expected: PolicyTestExpectation, actual: PolicyDecision): string[] {
  const out: string[] = [];
  if (actual.decision !== expected.decision) {
    out.push(`expected decision ${expected.decision}, got ${actual.decision} (${actual.reason})`);
  }
  if (expected.rules !== undefined) {
    const want = [...new Set(expected.rules)].sort();
    const got = [...new Set(actual.rules)].sort();
    if (want.join('\n') !== got.join('\n')) {
      out.push(`expected rules [${want.join(', ')}], got [${got.join(', ')}]`);
    }
  }
  if (expected.reason_contains !== undefined && !actual.reason.includes(expected.reason_contains)) {
    out.push(
      `expected the reason to contain "${expected.reason_contains}", got "${actual.reason}"`,
    );
  }
  return out;
}

function readCases(source: string, file: string): PolicyTestCase[] {
  const r = YamlReader.parse(source, file);
  if (r.issues.length > 0) throw new PolicyLoadError(r.issues, 'cases file');
  const top = r.fields(r.root, 'cases file', ['cases'], ['cases']);
  const cases: PolicyTestCase[] = [];
  const names = new Set<string>();
  for (const node of r.list(top?.get('cases'), 'cases') ?? []) {
    const f = r.fields(node, 'case', ['name', 'request', 'expect'], ['name', 'request', 'expect']);
    if (f === undefined) continue;
    const nameNode = f.get('name');
    const name = nameNode && r.string(nameNode, 'case name');
    if (name !== undefined && names.has(name)) r.issue(nameNode, `duplicate case name "${name}"`);
    if (name !== undefined) names.add(name);
    const requestNode = f.get('request');
    const expectNode = f.get('expect');
    const request = requestNode && readRequest(r, requestNode);
    const expect = expectNode && readExpectation(r, expectNode);
    if (name !== undefined && request !== undefined && expect !== undefined) {
      cases.push({ name, line: r.position(node).line, request, expect });
    }
  }
  if (r.issues.length > 0) throw new PolicyLoadError(r.issues, 'cases file');
  return cases;
}

function readRequest(r: YamlReader, node: Node): PolicyInput | undefined {
  const f = r.fields(node, 'request', REQUEST_KEYS, ['action', 'resource']);
  if (f === undefined) return undefined;
  const before = r.issues.length;
  const str = (key: (typeof REQUEST_KEYS)[number]): string | undefined => {
    const n = f.get(key);
    return n && r.string(n, `request.${key}`);
  };
  const object = (key: 'params' | 'context'): JsonObject | undefined => {
    const n = f.get(key);
    if (n === undefined) return undefined;
    const value = r.value(n);
    if (isJsonObject(value)) return value;
    r.issue(n, `request.${key} must be a mapping`);
    return undefined;
  };
  const riskNode = f.get('risk');
  const agentNode = f.get('agent');
  let agent: PolicyInput['agent'] = { id: 'test-agent', owners: [] };
  if (agentNode !== undefined) {
    const a = r.fields(agentNode, 'request.agent', ['id', 'owners'], ['id']);
    const idNode = a?.get('id');
    const ownersNode = a?.get('owners');
    const id = idNode && r.string(idNode, 'request.agent.id');
    const owners =
      ownersNode === undefined ? [] : r.stringList(ownersNode, 'request.agent.owners', true);
    if (id !== undefined && owners !== undefined)
      agent = { id, owners: owners.map((o) => o.value) };
  }
  const request: PolicyInput = {
    action: str('action') ?? '',
    resource: str('resource') ?? '',
    environment: str('environment') ?? DEFAULT_ENVIRONMENT,
    params: object('params') ?? {},
    risk: riskNode && r.oneOf(riskNode, 'request.risk', RISKS),
    justification: str('justification'),
    on_behalf_of: str('on_behalf_of'),
    context: object('context'),
    agent,
  };
  return r.issues.length === before ? request : undefined;
}

function readExpectation(r: YamlReader, node: Node): PolicyTestExpectation | undefined {
  const f = r.fields(node, 'expect', ['decision', 'rules', 'reason_contains'], ['decision']);
  if (f === undefined) return undefined;
  const before = r.issues.length;
  const decisionNode = f.get('decision');
  const rulesNode = f.get('rules');
  const reasonNode = f.get('reason_contains');
  const decision = decisionNode && r.oneOf(decisionNode, 'expect.decision', DECISIONS);
  const rules = rulesNode && r.stringList(rulesNode, 'expect.rules', true)?.map((x) => x.value);
  const reason_contains = reasonNode && r.string(reasonNode, 'expect.reason_contains');
  if (decision === undefined || r.issues.length !== before) return undefined;
  return { decision, rules, reason_contains };
}
