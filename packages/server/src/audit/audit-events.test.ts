import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalJson,
  type ActionRecord,
  type GrantClaims,
  type JsonValue,
  type Vote,
} from '@countersign/core';
import * as events from './audit-events.js';

// Each constructor against the object the code built inline before audit-events.ts existed
// (copied from those call sites): the log hashes canonical JSON, so equal canonical text
// means byte-identical entries.
const same = (built: object, inline: object) =>
  assert.equal(
    canonicalJson(built as unknown as JsonValue),
    canonicalJson(inline as unknown as JsonValue),
  );
const iso = (ms: number) => new Date(ms).toISOString();
const agent = { kind: 'agent', id: 'exporter' } as const;
const alice = { kind: 'user', id: 'alice' } as const;

const record: ActionRecord = {
  id: 'act_1',
  agent_id: 'exporter',
  idempotency_key: 'k-1',
  action: 'db.export',
  resource: 'customers',
  environment: 'production',
  params: { table: 'customers', password: 'hunter22' },
  justification: 'quarterly export',
  risk: 'high',
  on_behalf_of: 'alice',
  context: { ticket: 'OPS-1' },
  callback_url: null,
  digest: 'sha256:abc',
  status: 'approved',
  decision: 'require_approval',
  reason: 'approved by alice',
  rules: ['exports'],
  trace: [],
  approval: null,
  policy_version: 'v1',
  created_at: 1_700_000_000_000,
  updated_at: 1_700_000_001_000,
  expires_at: 1_700_003_600_000,
  decided_at: 1_700_000_001_000,
  result: { outcome: 'completed', detail: { rows: 3 }, at: 1_700_000_002_000 },
  escalate_at: null,
  escalated_rules: ['exports'],
  break_glass: false,
  grant: { token: 'ey…', jti: 'grt_1', expires_at: 1_700_000_901_000, redeemed_at: null },
};

test('request events keep the fields and values of the inline entries', () => {
  const r = record;
  same(events.actionSubmitted(agent, r), {
    type: 'action.submitted',
    actor: agent,
    request_id: r.id,
    redact: true,
    data: {
      action: r.action,
      resource: r.resource,
      environment: r.environment,
      params: r.params,
      justification: r.justification,
      risk: r.risk,
      on_behalf_of: r.on_behalf_of,
      context: r.context,
      idempotency_key: r.idempotency_key,
      digest: r.digest,
    },
  });
  for (const grant of [r.grant, null]) {
    same(events.actionDecidedByPolicy(agent, { ...r, grant }), {
      type: 'action.decided_by_policy',
      actor: agent,
      request_id: r.id,
      data: {
        decision: r.decision,
        status: r.status,
        rules: r.rules,
        reason: r.reason,
        policy_version: r.policy_version,
        expires_at: r.expires_at === null ? null : iso(r.expires_at),
        approval: r.approval,
        grant: grant ? { jti: grant.jti, expires_at: iso(grant.expires_at) } : null,
      },
    });
  }
  same(events.actionDecided(alice, { ...r, status: 'denied' }), {
    type: 'action.denied',
    actor: alice,
    request_id: r.id,
    data: { status: 'denied', reason: r.reason },
  });
  same(events.actionEscalated(alice, r), {
    type: 'action.escalated',
    actor: alice,
    request_id: r.id,
    data: { status: r.status, reason: r.reason, escalated_rules: r.escalated_rules },
  });
  for (const result of [r.result, null]) {
    same(events.actionResultReported(agent, { ...r, result }), {
      type: 'action.result_reported',
      actor: agent,
      request_id: r.id,
      data: {
        status: r.status,
        reason: r.reason,
        ...(result ? { outcome: result.outcome, detail: result.detail } : {}),
      },
    });
  }
  same(events.grantIssued(alice, { ...r, grant: r.grant! }, ['alice'], 'quorum'), {
    type: 'grant.issued',
    actor: alice,
    request_id: r.id,
    data: {
      jti: r.grant!.jti,
      expires_at: iso(r.grant!.expires_at),
      approvers: ['alice'],
      basis: 'quorum',
      digest: r.digest,
    },
  });
});

test('votes, deliveries and redemptions keep the fields of the inline entries', () => {
  const vote: Vote = {
    id: 'vote_1',
    action_id: 'act_1',
    user: 'alice',
    vote: 'approve',
    comment: null,
    channel: 'web',
    at: 1,
    evidence: 'sha256:e',
    groups: ['ops'],
    outcome: 'refused',
    code: 'self_approval',
    break_glass: false,
  };
  const voteEntry = (v: Vote) => ({
    vote: v.vote,
    comment: v.comment,
    channel: v.channel,
    evidence: v.evidence,
    groups: v.groups,
    break_glass: v.break_glass,
    ...(v.code ? { code: v.code } : {}),
  });
  same(events.actionVoteRefused(alice, vote), {
    type: 'action.vote_refused',
    actor: alice,
    request_id: 'act_1',
    data: voteEntry(vote),
  });
  const counted = { ...vote, outcome: 'counted' as const, code: null };
  same(events.actionVoteCounted(alice, counted), {
    type: 'action.vote_counted',
    actor: alice,
    request_id: 'act_1',
    data: voteEntry(counted),
  });
  for (const o of [
    {
      id: 'dlv_1',
      target: 'webhook:ops',
      event: 'action.decided',
      action_id: 'act_1',
      attempt: 1,
      status: 'delivered' as const,
    },
    {
      id: 'dlv_2',
      target: 'slack',
      event: 'action.requested',
      action_id: null,
      attempt: 3,
      status: 'failed' as const,
      error: 'HTTP 500',
    },
  ]) {
    same(events.actionNotified(o), {
      type: 'action.notified',
      actor: { kind: 'system', id: 'notifier' },
      ...(o.action_id ? { request_id: o.action_id } : {}),
      data: {
        delivery: o.id,
        target: o.target,
        event: o.event,
        status: o.status,
        attempt: o.attempt,
        error: 'error' in o ? o.error : undefined,
      },
    });
  }
  const claims = { jti: 'grt_1', request_id: 'act_1', digest: 'sha256:abc' } as GrantClaims;
  for (const by of [agent, undefined]) {
    same(events.grantRedeemed(claims, 1_700_000_000_000, by), {
      type: 'grant.redeemed',
      actor: by ?? { kind: 'anonymous', id: 'grant-holder' },
      request_id: claims.request_id,
      data: { jti: claims.jti, redeemed_at: iso(1_700_000_000_000), digest: claims.digest },
    });
  }
});

test('administration events and refusals keep the fields of the inline entries', () => {
  const policy = { version: 'v2', rules: [{ id: 'a' }, { id: 'b' }], redact: ['params.password'] };
  same(events.policyLoaded(policy, '/etc/policy.yaml', 'reload'), {
    type: 'policy.loaded',
    actor: { kind: 'system', id: 'policy-watcher' },
    data: {
      version: 'v2',
      file: '/etc/policy.yaml',
      rules: ['a', 'b'],
      redact: ['params.password'],
      trigger: 'reload',
    },
  });
  same(events.policyReloadRefused('/etc/policy.yaml', 'v1', 'bad rule'), {
    type: 'policy.reload_refused',
    actor: { kind: 'system', id: 'policy-watcher' },
    data: { file: '/etc/policy.yaml', kept_version: 'v1', error: 'bad rule' },
  });
  same(
    events.tokenCreated(alice, {
      token_id: 'ses_1',
      principal: alice,
      label: 'web session (single sign-on)',
      expires_at: iso(5),
      groups_from_idp: ['ops'],
      idp: { issuer: 'https://idp', sub: 's1' },
    }),
    {
      type: 'token.created',
      actor: alice,
      data: {
        token_id: 'ses_1',
        principal: { kind: 'user', id: 'alice' },
        label: 'web session (single sign-on)',
        expires_at: iso(5),
        groups_from_idp: ['ops'],
        ...{ idp: { issuer: 'https://idp', sub: 's1' } },
      },
    },
  );
  same(events.tokenRevoked(alice, { token_id: 'ses_1', reason: 'logout' }), {
    type: 'token.revoked',
    actor: alice,
    data: { token_id: 'ses_1', reason: 'logout' },
  });
  same(events.keyRotated({ kind: 'system', id: 'operator' }, 'kid-2', 'kid-1'), {
    type: 'key.rotated',
    actor: { kind: 'system', id: 'operator' },
    data: { purpose: 'grants', kid: 'kid-2', retired: 'kid-1' },
  });
  same(events.configChanged(['public_url a differs from b']), {
    type: 'config.changed',
    actor: { kind: 'system', id: 'gateway-start' },
    data: { accepted_with: '--accept-config-change', changes: ['public_url a differs from b'] },
  });
  const http = {
    code: 'forbidden',
    method: 'POST',
    route: '/v1/actions/:id/votes',
    request_id: 'req-1',
  };
  for (const id of ['act_1', undefined]) {
    same(events.apiRefused(alice, id, http), {
      type: 'api.refused',
      actor: alice,
      ...(id ? { request_id: id } : {}),
      data: http,
    });
  }
});
