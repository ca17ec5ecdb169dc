// The 100-rule policy and the 1,000 requests that policy-eval.mjs and policy-replay.mjs run:
// every kind of match (exact, globs, lists, agent), conditions, approvals, denies.
import { loadPolicy } from '../packages/core/dist/src/index.js';

const FAMILIES = [
  'db.export',
  'db.query',
  'db.ddl',
  'db.backup',
  'db.restore',
  'k8s.rollout',
  'k8s.scale',
  'k8s.exec',
  'k8s.secret',
  'iam.role',
  'iam.user',
  'iam.key',
  'gh.pr',
  'gh.repo',
  'gh.actions',
  'mcp.github',
  'mcp.slack',
  'mcp.jira',
  'cloud.vm',
  'cloud.bucket',
  'cloud.dns',
  'billing.refund',
  'billing.invoice',
  'crm.contact',
  'crm.deal',
  'ml.finetune',
  'ml.dataset',
  'ml.deploy',
  'config.push',
  'queue.purge',
];
const VERBS = ['create', 'delete', 'update', 'read', 'list'];
const ENVS = ['production', 'staging', 'dev'];

function rule(i) {
  const family = FAMILIES[i % FAMILIES.length];
  const verb = VERBS[Math.floor(i / FAMILIES.length) % VERBS.length];
  const lines = [`  - id: rule-${i}`];
  switch (i % 10) {
    case 0: // exact action, production, condition, approval
      lines.push(`    match: { action: ${family}.${verb}, environment: production }`);
      lines.push(`    when: has(params.rows) && params.rows > 10000`);
      lines.push(
        `    require_approval: { from: [data-owners, sre], quorum: 2, timeout: 30m, escalate: { after: 10m, to: [sre] } }`,
      );
      break;
    case 1: // prefix glob, deny in production
      lines.push(
        `    match: { action: "${family}.*", environment: production, resource: "*://prod/*" }`,
      );
      lines.push(`    when: params.force == true`);
      lines.push(`    decision: deny`);
      lines.push(`    reason: forced ${family} in production is never allowed`);
      break;
    case 2: // allow reads anywhere
      lines.push(`    match: { action: "${family}.read" }`);
      lines.push(`    decision: allow`);
      break;
    case 3: // list of actions and environments
      lines.push(
        `    match: { action: [${family}.list, ${family}.read], environment: [staging, dev] }`,
      );
      lines.push(`    decision: allow`);
      break;
    case 4: // agent-specific
      lines.push(`    match: { action: "${family}.*", agent: "bot-${i % 7}" }`);
      lines.push(`    when: '"alice" in agent.owners'`);
      lines.push(`    decision: allow`);
      break;
    case 5: // regex over a param
      lines.push(`    match: { action: ${family}.update }`);
      lines.push(
        `    when: has(params.sql) && !params.sql.matches("(?i)\\\\b(drop|truncate|delete)\\\\b")`,
      );
      lines.push(`    decision: allow`);
      break;
    case 6: // suffix glob
      lines.push(`    match: { action: "*.${verb}", environment: production }`);
      lines.push(`    when: risk == "critical"`);
      lines.push(
        `    require_approval: { from: [{ group: security, min: 1 }, { group: sre, min: 1 }] }`,
      );
      break;
    case 7: // resource glob
      lines.push(`    match: { action: "${family}.delete", resource: "*/customers*" }`);
      lines.push(`    decision: deny`);
      break;
    case 8: // middle wildcard
      lines.push(`    match: { action: "${family.split('.')[0]}.*.${verb}" }`);
      lines.push(`    when: size(params) > 5`);
      lines.push(`    decision: deny`);
      break;
    default: // staging allow with condition
      lines.push(`    match: { action: "${family}.${verb}", environment: staging }`);
      lines.push(`    when: params.count < 100`);
      lines.push(`    decision: allow`);
  }
  return lines.join('\n');
}

export const HUNDRED_RULE_POLICY =
  [
    'version: 1',
    'defaults: { decision: deny }',
    'rules:',
    ...Array.from({ length: 100 }, (_, i) => rule(i)),
  ].join('\n') + '\n';
/** The groups the policy names (it is loaded against these). */
export const BENCH_GROUPS = new Set(['data-owners', 'sre', 'security']);
export const policy = loadPolicy(HUNDRED_RULE_POLICY, {
  file: 'bench.yaml',
  groups: BENCH_GROUPS,
  users: new Set(),
});

/**
 * The candidate edit policy-replay.mjs replays and policy-shadow.mjs shadows: rule-0's quorum
 * from 2 to 1, and rule-1's deny an approval.
 */
export const candidate = loadPolicy(
  HUNDRED_RULE_POLICY.replace('quorum: 2, timeout: 30m', 'quorum: 1, timeout: 30m').replace(
    /(id: rule-1\n[^\n]*\n[^\n]*\n) {4}decision: deny/,
    '$1    require_approval: { from: [sre] }',
  ),
  { file: 'candidate.yaml', groups: BENCH_GROUPS, users: new Set() },
);

// Varied inputs: every family and verb, all environments, some with conditions' params.
export const inputs = [];
for (let i = 0; i < 1000; i++) {
  const family = FAMILIES[(i * 7) % FAMILIES.length];
  const verb = VERBS[(i * 3) % VERBS.length];
  const env = ENVS[i % ENVS.length];
  inputs.push({
    action: i % 13 === 0 ? `unknown.thing.${i}` : `${family}.${verb}`,
    resource:
      i % 4 === 0 ? `postgres://prod/customers_${i}` : `k8s://${env}/payments/deploy/api-${i}`,
    environment: env,
    params:
      i % 2 === 0
        ? { rows: (i * 97) % 30000, count: i % 150, sql: 'select * from orders where id = 1' }
        : { force: i % 3 === 0, count: 5 },
    risk: i % 5 === 0 ? 'critical' : undefined,
    agent: { id: `bot-${i % 9}`, owners: i % 2 ? ['alice'] : ['bob'] },
  });
}
