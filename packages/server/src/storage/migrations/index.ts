import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './0001-initial.js';
import { approvals } from './0002-approvals.js';
import { audit } from './0004-audit.js';
import { notifications } from './0003-notifications.js';
import { webSessions } from './0005-web-sessions.js';
import { queueClaims } from './0006-queue-claims.js';
import { auditQueue } from './0007-audit-queue.js';
import { actionsChanged } from './0010-actions-changed.js';
import { traceParent } from './0012-trace-parent.js';
import { auditCosignatures } from './0013-audit-cosignatures.js';
import { outboxDelivered } from './0014-outbox-delivered.js';
import { standingApprovals } from './0015-standing-approvals.js';

/**
 * Versioned migrations, in order. Never edit one that has shipped: add the next number.
 * They live in code (not files read at run time) so the bundle is self-contained.
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-approvals': approvals,
  '0003-notifications': notifications,
  '0004-audit': audit,
  '0005-web-sessions': webSessions,
  '0006-queue-claims': queueClaims,
  '0007-audit-queue': auditQueue,
  '0010-actions-changed': actionsChanged,
  '0012-trace-parent': traceParent,
  '0013-audit-cosignatures': auditCosignatures,
  '0014-outbox-delivered': outboxDelivered,
  '0015-standing-approvals': standingApprovals,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
};
