import type { Kysely, Selectable } from 'kysely';
import type { Channel, Vote, VoteChoice } from '@countersign/core';
import type { Database, VotesTable } from './schema.js';

/** A request's votes, counted and refused, in the order they were cast. */
export async function selectVotes(db: Kysely<Database>, actionId: string): Promise<Vote[]> {
  const rows = await db
    .selectFrom('votes')
    .selectAll()
    .where('action_id', '=', actionId)
    .orderBy('at')
    .orderBy('id')
    .execute();
  return rows.map(voteFromRow);
}

/** The votes of several requests in one query, by request, each in the order they were cast. */
export async function selectVotesOf(
  db: Kysely<Database>,
  actionIds: readonly string[],
): Promise<Map<string, Vote[]>> {
  const byAction = new Map<string, Vote[]>();
  if (actionIds.length === 0) return byAction;
  const rows = await db
    .selectFrom('votes')
    .selectAll()
    .where('action_id', 'in', [...actionIds])
    .orderBy('at')
    .orderBy('id')
    .execute();
  for (const row of rows) {
    const list = byAction.get(row.action_id);
    if (list) list.push(voteFromRow(row));
    else byAction.set(row.action_id, [voteFromRow(row)]);
  }
  return byAction;
}

export function voteFromRow(row: Selectable<VotesTable>): Vote {
  return {
    id: row.id,
    action_id: row.action_id,
    user: row.user_id,
    vote: row.vote as VoteChoice,
    comment: row.comment,
    channel: row.channel as Channel,
    at: Number(row.at),
    evidence: row.evidence,
    groups: JSON.parse(row.groups) as string[],
    outcome: row.outcome as Vote['outcome'],
    code: row.code,
    break_glass: Number(row.break_glass) === 1,
  };
}

export function rowFromVote(v: Vote): Selectable<VotesTable> {
  return {
    id: v.id,
    action_id: v.action_id,
    user_id: v.user,
    vote: v.vote,
    comment: v.comment,
    channel: v.channel,
    at: v.at,
    evidence: v.evidence,
    groups: JSON.stringify(v.groups),
    outcome: v.outcome,
    code: v.code,
    break_glass: v.break_glass ? 1 : 0,
  };
}
