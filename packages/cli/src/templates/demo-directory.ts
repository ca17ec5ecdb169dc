import type { ConfigFile } from '@countersign/server';

/** The demo organisation: four people in four groups, an admin, and two agents. */
export const DEMO_DIRECTORY: ConfigFile['directory'] = {
  groups: [
    { id: 'data-owners', description: 'Own customer data sets' },
    { id: 'security', description: 'Security engineering' },
    { id: 'sre-oncall', description: 'Production on-call' },
    { id: 'platform', description: 'Platform engineering' },
  ],
  users: [
    { id: 'alice', name: 'Alice Example', email: 'alice@example.com', groups: ['data-owners'] },
    {
      id: 'bob',
      name: 'Bob Example',
      email: 'bob@example.com',
      groups: ['data-owners', 'security'],
    },
    { id: 'carol', name: 'Carol Example', email: 'carol@example.com', groups: ['sre-oncall'] },
    { id: 'dave', name: 'Dave Example', email: 'dave@example.com', groups: ['platform'] },
    {
      id: 'erin',
      name: 'Erin Example',
      email: 'erin@example.com',
      groups: ['platform', 'sre-oncall'],
    },
    { id: 'admin', name: 'Ada Admin', email: 'admin@example.com', groups: [], admin: true },
  ],
  agents: [
    {
      id: 'support-copilot',
      description: 'Answers support tickets; exports data',
      owners: ['dave'],
    },
    { id: 'deploy-bot', description: 'Rolls out and restarts services', owners: ['erin'] },
  ],
};
