import type { Kysely, Migration } from 'kysely';

/**
 * The W3C `traceparent` of the span that received a request's submission (telemetry/): an
 * approval can take hours and be decided on another replica or after a restart, and the spans
 * of its votes, decision, grant and redemption join the submitter's trace through it. Null when
 * tracing was off at submission. Text in both dialects (55 characters for version 00).
 */
export const traceParent: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('actions').addColumn('trace_parent', 'text').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('actions').dropColumn('trace_parent').execute();
  },
};
