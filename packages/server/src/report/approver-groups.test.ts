import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPolicy, type ActionRecord, type AuditEntry, type Vote } from '@countersign/core';
import { Directory } from '../config/directory.js';
import {
  applyDirectoryChange,
  diffDirectory,
  emptySnapshot,
  snapshotOf,
} from '../config/directory-snapshot.js';
import { approverGroups } from './approver-groups.js';
import { separationOfDuties } from './separation-of-duties.js';
import { DirectoryHistory } from './directory-history.js';
import { reportPeriod } from './report-period.js';

const START = Date.UTC(2026, 0, 10);
const H = 3_600_000;
const POLICY = `version: 1
rules:
  - id: big-export
    match: { action: db.export }
    require_approval: { from: [data-owners], quorum: 1 }
`;
const directory = (owners: string[]) =>
  new Directory({
    groups: [{ id: 'data-owners' }],
    users: ['alice', 'gina'].map((id) => ({
      id,
      groups: owners.includes(id) ? ['data-owners'] : [],
    })),
    agents: [{ id: 'exporter', owners: ['alice'] }],
  });

/** The `directory.*` entries a gateway would append at each start, with the start's time. */
function entries(starts: Array<[number, Directory]>): AuditEntry[] {
  const out: AuditEntry[] = [];
  let last: ReturnType<typeof snapshotOf> | undefined;
  for (const [at, dir] of starts) {
    const now = snapshotOf(dir);
    const facts: Array<Pick<AuditEntry, 'type' | 'data'>> = last
      ? diffDirectory(last, now).map(({ type, ...data }) => ({ type, data }))
      : [{ type: 'directory.baseline', data: { directory: now } }];
    for (const f of facts) {
      out.push({
        v: 1,
        index: out.length,
        prev: null,
        at: new Date(at).toISOString(),
        actor: { kind: 'system', id: 'gateway-start' },
        ...f,
      });
    }
    last = now;
  }
  return out;
}

test('replaying a diff turns the old snapshot into the new one, for every kind of change', () => {
  const before = snapshotOf(directory(['alice']));
  const after = snapshotOf(
    new Directory({
      groups: [{ id: 'security' }],
      users: [
        { id: 'gina', groups: ['security'], admin: true, auditor: true },
        { id: 'hal', groups: [] },
      ],
      agents: [{ id: 'deployer', owners: ['gina'] }],
    }),
  );
  for (const [a, b] of [
    [before, after],
    [after, before],
    [emptySnapshot(), after],
  ] as const) {
    const state = structuredClone(a);
    for (const c of diffDirectory(a, b)) applyDirectoryChange(state, c);
    assert.deepEqual(state, b);
  }
  assert.deepEqual(diffDirectory(before, before), []);
});

test('membership during the period: added then removed within it; an approval after removal is not eligible, one before the record unknown', () => {
  const history = DirectoryHistory.fromEntries(
    entries([
      [START - 24 * H, directory(['alice'])],
      [START + 1 * H, directory(['alice', 'gina'])],
      [START + 3 * H, directory(['alice'])],
    ]),
  );
  assert.equal(history.at(START - 25 * H), undefined);
  assert.deepEqual(history.at(START + 2 * H)?.users.gina?.groups, ['data-owners']);
  assert.deepEqual(history.at(START + 4 * H)?.users.gina?.groups, []);

  const policy = loadPolicy(POLICY, {
    file: 'policy.yaml',
    groups: new Set(['data-owners']),
    users: new Set(['alice', 'gina']),
  });
  const request = (id: string) =>
    ({
      id,
      approval: {
        clauses: [
          { rule: 'big-export', from: ['data-owners'], groups: [], quorum: 1, break_glass: [] },
        ],
      },
      escalated_rules: [],
    }) as unknown as ActionRecord; // only the fields eligibility reads
  const vote = (action_id: string, user: string, at: number) =>
    ({
      action_id,
      user,
      at,
      vote: 'approve',
      outcome: 'counted',
      break_glass: false,
      groups: ['data-owners'],
    }) as unknown as Vote; // only the fields eligibility reads
  const s = approverGroups({
    directory: directory(['alice']),
    policy,
    period: reportPeriod('2026-01-10', '2026-01-10'),
    history,
    requests: [request('act_1'), request('act_2'), request('act_3')],
    votes: [
      vote('act_1', 'gina', START + 2 * H),
      vote('act_2', 'gina', START + 4 * H),
      vote('act_3', 'alice', START - 30 * H),
    ],
  });
  assert.equal(s.source, 'audit_log');
  assert.deepEqual(
    s.groups[0]?.members.map((m) => m.id),
    ['alice'],
  );
  assert.deepEqual(
    s.changes.map((c) => [c.type, c.user]),
    [
      ['directory.group_member_added', 'gina'],
      ['directory.group_member_removed', 'gina'],
    ],
  );
  assert.deepEqual(
    s.eligibility.map((e) => [e.request_id, e.eligible]),
    [
      ['act_1', true],
      ['act_2', false],
      ['act_3', null],
    ],
  );
  assert.equal(s.ineligible_approvals, 1);
});

test("separation of duties judges an approval by the agent's owners at the time of the vote", () => {
  const owning = new Directory({
    groups: [{ id: 'data-owners' }],
    users: [
      { id: 'alice', groups: ['data-owners'] },
      { id: 'gina', groups: ['data-owners'] },
    ],
    agents: [{ id: 'exporter', owners: ['gina'] }],
  });
  const history = DirectoryHistory.fromEntries(
    entries([
      [START - 24 * H, owning],
      [START + 3 * H, directory(['alice', 'gina'])],
    ]),
  );
  const request = {
    id: 'act_1',
    agent_id: 'exporter',
    on_behalf_of: null,
  } as unknown as ActionRecord; // only the fields the check reads
  const vote = {
    action_id: 'act_1',
    user: 'gina',
    at: START + 2 * H,
    vote: 'approve',
    outcome: 'counted',
    break_glass: false,
  } as unknown as Vote; // only the fields the check reads
  const input = {
    requests: [request],
    votes: [vote],
    refused: [],
    directory: directory(['alice', 'gina']),
  };
  // Today gina owns nothing; when she approved she owned the requesting agent.
  assert.deepEqual(separationOfDuties(input).interested_party_approvals, []);
  assert.deepEqual(
    separationOfDuties({ ...input, history }).interested_party_approvals.map((v) => v.user),
    ['gina'],
  );
});
