// The answer of the bare-view route (servers.mjs): what the gateway answers an auto-allowed
// submission (docs/api.md, ActionView: 2,280 bytes here), with the request's own fields and a
// fresh id, so the bare route does the HTTP part of a decision's required work: read and parse
// the request, serialise and write an answer of the documented size. Nothing is decided or
// stored, nothing is signed: the token is a fixed string of a grant's length.
const TOKEN = `eyJ${'x'.repeat(147)}.eyJ${'y'.repeat(605)}.${'z'.repeat(86)}`;
const RULES = ['bench-allow'];

/** The view for `body` (a parsed submission); `n` makes each id distinct. */
export function bareView(body, n) {
  const at = new Date().toISOString();
  const id = `act_01m94sg9xg5hngrk${String(n).padStart(14, '0')}`;
  return {
    id,
    status: 'approved',
    decision: 'allow',
    reason: 'allowed by bench-allow',
    message: `The request to run ${body.action} on ${body.resource} (${body.environment}) was approved: allowed by bench-allow.`,
    rules: RULES,
    digest: `sha256:${'a'.repeat(64)}`,
    policy_version: `sha256:${'b'.repeat(64)}`,
    agent: { id: 'bench-agent', owners: ['owen'] },
    action: body.action,
    resource: body.resource,
    environment: body.environment,
    params: body.params,
    justification: body.justification ?? null,
    risk: null,
    on_behalf_of: null,
    context: null,
    callback_url: null,
    idempotency_key: null,
    created_at: at,
    updated_at: at,
    expires_at: null,
    decided_at: at,
    approval: null,
    progress: null,
    escalated_rules: [],
    break_glass: false,
    votes: [],
    grant: {
      token: TOKEN,
      jti: `grt_01m94sg9xr9at7dz${String(n).padStart(14, '0')}`,
      expires_at: at,
      redeemed_at: null,
    },
    explanation: [
      {
        rule: 'bench-allow',
        outcome: 'matched',
        effect: 'allow',
        detail: 'matched action bench.*; when `params.rows <= 10000` is true',
      },
      {
        rule: 'bench-prod',
        outcome: 'skipped',
        effect: 'require_approval',
        detail:
          'matched action bench.*, environment production; when `params.rows > 10000` is false',
      },
    ],
    result: null,
  };
}
