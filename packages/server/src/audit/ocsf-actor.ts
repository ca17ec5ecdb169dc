import type { AuditEntry } from '@countersign/core';

type Json = Record<string, unknown>;

/** The entry's actor as an OCSF actor: always a `user` (the agent, a person, the gateway). */
export function ocsfActor(actor: AuditEntry['actor']): { user: Json; app_name?: string } {
  const id = typeof actor?.id === 'string' ? actor.id : 'unknown';
  switch (actor?.kind) {
    case 'agent':
      return { user: agentUser(id) };
    case 'user':
      return { user: { uid: id, name: id, type_id: 1, type: 'User' } };
    case 'system':
      return { user: { uid: id, name: id, type_id: 3, type: 'System' }, app_name: 'Countersign' };
    default:
      return { user: { uid: id, name: id, type_id: 0, type: 'Unknown' } };
  }
}

/** OCSF has no user type for an AI agent: `Other`, named, and `ai_agent` beside it. */
export const agentUser = (id: string): Json => ({
  uid: id,
  name: id,
  type_id: 99,
  type: 'AI Agent',
});
