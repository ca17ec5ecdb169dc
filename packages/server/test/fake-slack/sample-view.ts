import type { RequestView } from '../../src/views/request-view.js';

/** A pending request as the notifier hands it to the Slack renderer; override what a test needs. */
export const sampleView = (overrides: Partial<RequestView> = {}): RequestView => ({
  id: 'act_01test',
  status: 'pending',
  decision: 'require_approval',
  reason: 'needs approval: prod-large-export (2 of data-owners)',
  message: '',
  rules: ['prod-large-export'],
  digest: 'sha256:00',
  policy_version: 'sha256:00',
  agent: { id: 'exporter' },
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 25000 },
  justification: null,
  risk: 'low',
  on_behalf_of: null,
  context: null,
  callback_url: null,
  idempotency_key: null,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  expires_at: '2026-01-01T00:30:00.000Z',
  decided_at: null,
  approval: {
    clauses: [{ rule: 'prod-large-export', from: ['data-owners'], groups: [], quorum: 2 }],
    timeout_ms: 1,
    on_timeout: 'deny',
    justification_required: false,
  },
  progress: {
    satisfied: false,
    clauses: [
      { rule: 'prod-large-export', quorum: 2, approvals: 0, satisfied: false, missing: [] },
    ],
  },
  escalated_rules: [],
  break_glass: false,
  votes: [],
  explanation: [
    {
      rule: 'prod-large-export',
      outcome: 'matched',
      effect: 'require_approval',
      detail: 'matched action db.export',
    },
  ],
  result: null,
  ...overrides,
});
