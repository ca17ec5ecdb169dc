import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Votes (counted and refused), escalation and grant state on requests, grant signing keys,
 * and the outbox that channels and webhooks are delivered from.
 */
export const approvals: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('votes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('action_id', 'text', (c) => c.notNull().references('actions.id'))
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('vote', 'text', (c) => c.notNull())
      .addColumn('comment', 'text')
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      // Hash of the verified raw channel payload (Slack/Teams), or of the API body.
      .addColumn('evidence', 'text')
      // The voter's groups when they voted: eligibility is decided at the time of the vote.
      .addColumn('groups', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('code', 'text')
      .addColumn('break_glass', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    // One counted vote per human per request, enforced by the store itself.
    await db.schema
      .createIndex('votes_one_per_user')
      .on('votes')
      .columns(['action_id', 'user_id'])
      .unique()
      .where(sql.ref('outcome'), '=', 'counted')
      .execute();
    await db.schema.createIndex('votes_action').on('votes').columns(['action_id', 'at']).execute();

    // SQLite takes one column per ALTER TABLE.
    const add = (name: string, type: 'text' | 'bigint' | 'integer', notNull0 = false) =>
      db.schema
        .alterTable('actions')
        .addColumn(name, type, (c) => (notNull0 ? c.notNull().defaultTo(0) : c))
        .execute();
    await add('escalate_at', 'bigint');
    await add('escalated_rules', 'text');
    await add('break_glass', 'integer', true);
    await add('grant_jti', 'text');
    await add('grant_token', 'text');
    await add('grant_expires_at', 'bigint');
    await add('grant_redeemed_at', 'bigint');
    // No index on grant_jti: a grant names its request, so redeem finds the row by primary key
    // (and one index fewer to write on every approval).
    await db.schema
      .createIndex('actions_pending_escalation')
      .on('actions')
      .columns(['escalate_at'])
      .where(sql.ref('status'), '=', 'pending')
      .execute();

    await db.schema
      .createTable('signing_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('algorithm', 'text', (c) => c.notNull())
      .addColumn('public_jwk', 'text', (c) => c.notNull())
      .addColumn('private_jwk', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('retired_at', 'bigint')
      .execute();

    await db.schema
      .createTable('outbox')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('action_id', 'text')
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('delivered_at', 'bigint')
      .addColumn('failed_at', 'bigint')
      .addColumn('last_error', 'text')
      .execute();
    await db.schema
      .createIndex('outbox_due')
      .on('outbox')
      .columns(['next_attempt_at'])
      .where(sql<boolean>`delivered_at is null and failed_at is null`)
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('outbox').execute();
    await db.schema.dropTable('signing_keys').execute();
    await db.schema.dropTable('votes').execute();
    for (const c of [
      'escalate_at',
      'escalated_rules',
      'break_glass',
      'grant_jti',
      'grant_token',
      'grant_expires_at',
      'grant_redeemed_at',
    ]) {
      await db.schema.alterTable('actions').dropColumn(c).execute();
    }
  },
};
