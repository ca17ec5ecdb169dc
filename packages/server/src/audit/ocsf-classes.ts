/**
 * The OCSF 1.9 event classes the audit export emits (docs/ocsf.md has the mapping table).
 * class_uid = category_uid × 1000 + the class's number; type_uid = class_uid × 100 + activity_id
 * (OCSF dictionary, `type_uid`).
 */
export interface OcsfClass {
  class_uid: number;
  class_name: string;
  category_uid: number;
  category_name: string;
  /** activity_id → activity_name, as the class's enum names them. */
  activities: Readonly<Record<number, string>>;
  /** OCSF profiles whose attributes the export sets on events of this class. */
  profiles: readonly string[];
}

const IAM = { category_uid: 3, category_name: 'Identity & Access Management' } as const;

/** A change to a managed entity: an approval request, a policy, a key, a token, the config. */
export const ENTITY_MANAGEMENT: OcsfClass = {
  class_uid: 3004,
  class_name: 'Entity Management',
  ...IAM,
  activities: { 1: 'Create', 3: 'Update', 4: 'Delete', 99: 'Other' },
  profiles: ['security_control', 'ai_operation'],
};

/** A privilege given to a user: a grant for one approved action, given to the agent. */
export const USER_ACCESS_MANAGEMENT: OcsfClass = {
  class_uid: 3005,
  class_name: 'User Access Management',
  ...IAM,
  activities: { 1: 'Assign Privileges', 99: 'Other' },
  profiles: ['security_control', 'ai_operation'],
};

/** A web session begins (a sign-in) or ends (a sign-out). */
export const AUTHENTICATION: OcsfClass = {
  class_uid: 3002,
  class_name: 'Authentication',
  ...IAM,
  activities: { 1: 'Logon', 2: 'Logoff' },
  profiles: ['security_control'],
};

/**
 * OCSF's generic class, "for events that are not otherwise defined by the schema": refusals
 * (API Activity would need `src_endpoint`, which the log does not record) and every event type
 * without a specific mapping, including types added after this table.
 */
export const BASE_EVENT: OcsfClass = {
  class_uid: 0,
  class_name: 'Base Event',
  category_uid: 0,
  category_name: 'Uncategorized',
  activities: { 99: 'Other' },
  // The host profile ("the initiating user, process, or service is known") carries `actor`.
  profiles: ['security_control', 'host'],
};
