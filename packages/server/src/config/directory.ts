import type { AgentEntry, GroupEntry, UserEntry } from './config-schema.js';

export interface User {
  id: string;
  email?: string | undefined;
  name?: string | undefined;
  groups: readonly string[];
  admin: boolean;
  auditor: boolean;
  slack_id?: string | undefined;
  teams_aad_id?: string | undefined;
  /** The user's `sub` at the OIDC provider (web sign-in). */
  oidc_sub?: string | undefined;
}

export interface Agent {
  id: string;
  description?: string | undefined;
  owners: readonly string[];
}

/**
 * Who exists: users, groups and agents from `countersign.yaml`. Read-only at run time;
 * tokens (in the database) point at these ids, so removing a principal here disables
 * its tokens without touching the database.
 */
export class Directory {
  readonly users: ReadonlyMap<string, User>;
  readonly agents: ReadonlyMap<string, Agent>;
  readonly groups: ReadonlyMap<string, { id: string; description?: string | undefined }>;

  constructor(entries: { users?: UserEntry[]; agents?: AgentEntry[]; groups?: GroupEntry[] }) {
    this.groups = new Map((entries.groups ?? []).map((g) => [g.id, g]));
    this.users = new Map(
      (entries.users ?? []).map((u) => [
        u.id,
        { ...u, groups: u.groups ?? [], admin: u.admin ?? false, auditor: u.auditor ?? false },
      ]),
    );
    this.agents = new Map((entries.agents ?? []).map((a) => [a.id, a]));
  }

  user(id: string): User | undefined {
    return this.users.get(id);
  }

  agent(id: string): Agent | undefined {
    return this.agents.get(id);
  }

  /** Problems a config loader reports: references to groups or users that do not exist. */
  danglingReferences(): Array<{ path: (string | number)[]; message: string }> {
    const out: Array<{ path: (string | number)[]; message: string }> = [];
    let i = 0;
    for (const u of this.users.values()) {
      u.groups.forEach((g, j) => {
        if (!this.groups.has(g)) {
          out.push({
            path: ['directory', 'users', i, 'groups', j],
            message: `unknown group "${g}"`,
          });
        }
      });
      if (this.agents.has(u.id)) {
        out.push({
          path: ['directory', 'users', i, 'id'],
          message: `"${u.id}" is also an agent id`,
        });
      }
      i++;
    }
    i = 0;
    for (const a of this.agents.values()) {
      a.owners.forEach((o, j) => {
        if (!this.users.has(o)) {
          out.push({
            path: ['directory', 'agents', i, 'owners', j],
            message: `unknown user "${o}"`,
          });
        }
      });
      i++;
    }
    return out;
  }
}
