import type { Kysely, Migration } from 'kysely';

/**
 * Standing approvals (issue 16, docs/fatigue.md): the record, the humans who stand behind
 * each (one row per person: the primary key refuses a second endorsement by the same human,
 * whatever raced), and on each request the standing approval that approved it, if any.
 * `state` stores proposed, active or revoked; expired and exhausted are computed from
 * `expires_at` and `uses` when read. The claim of a use is one conditional UPDATE of `uses`.
 */
export const standingApprovals: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('standing_approvals')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('source_action_id', 'text', (c) => c.notNull().references('actions.id'))
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      // JSON: the rule ids (sorted), their fingerprints, the requirement, the scope.
      .addColumn('rules', 'text', (c) => c.notNull())
      .addColumn('rule_fingerprints', 'text', (c) => c.notNull())
      .addColumn('approval', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('max_uses', 'integer', (c) => c.notNull())
      .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('revoked_by', 'text')
      .addColumn('revoke_reason', 'text')
      .execute();
    // The index of live ones every replica loads, and the sweeps on reload and at start.
    await db.schema
      .createIndex('standing_approvals_state')
      .on('standing_approvals')
      .columns(['state', 'expires_at'])
      .execute();
    await db.schema
      .createTable('standing_approval_endorsers')
      .addColumn('standing_approval_id', 'text', (c) =>
        c.notNull().references('standing_approvals.id'),
      )
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('groups', 'text', (c) => c.notNull())
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('standing_approval_endorsers_pk', [
        'standing_approval_id',
        'user_id',
      ])
      .execute();
    await db.schema.alterTable('actions').addColumn('standing_approval_id', 'text').execute();
    await db.schema
      .createIndex('actions_standing_approval')
      .on('actions')
      .column('standing_approval_id')
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('actions_standing_approval').execute();
    await db.schema.alterTable('actions').dropColumn('standing_approval_id').execute();
    await db.schema.dropTable('standing_approval_endorsers').execute();
    await db.schema.dropTable('standing_approvals').execute();
  },
};
