import type { ConfigFile } from '../../src/index.js';
import type { TeamsConfig } from '../../src/channels/teams/index.js';
import {
  DIRECTORY,
  indexedStore,
  startGateway,
  type Dialect,
  type TestGateway,
} from '../harness.js';
import { APP_ID, APP_PASSWORD, TENANT_ID, type FakeBotFramework } from './fake-bot-framework.js';

// Tests assert on JSON off the wire (cards, problem bodies, audit entries) field by field.
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- see above

/** Team channels of the test organisation. */
export const CHANNEL = {
  approvals: '19:approvals0000@thread.tacv2',
  dataOwners: '19:dataowners000@thread.tacv2',
  sre: '19:sreoncall0000@thread.tacv2',
} as const;

/** The team the channels belong to (`channelData.team.id`): member lookups go to its roster. */
export const TEAM_ID = '19:team00000000000@thread.tacv2';

/** Entra object ids; alice and dave have none in the directory and are found by email. */
export const AAD: Readonly<Record<string, string>> = {
  frank: '0f000000-0000-4000-8000-00000000000f',
  bob: '0b000000-0000-4000-8000-00000000000b',
  carol: '0c000000-0000-4000-8000-00000000000c',
  erin: '0e000000-0000-4000-8000-00000000000e',
  mallory: '0d000000-0000-4000-8000-0000000000aa',
  gina: '01000000-0000-4000-8000-000000000001',
  hank: '02000000-0000-4000-8000-000000000002',
  ivan: '03000000-0000-4000-8000-000000000003',
  alice: 'a1000000-0000-4000-8000-0000000000a1',
  dave: 'da000000-0000-4000-8000-0000000000da',
};

/** The shared directory, with Teams identities and three more data owners (concurrency). */
export const TEAMS_DIRECTORY: ConfigFile['directory'] = {
  ...DIRECTORY,
  users: [
    ...(DIRECTORY.users ?? []).map((u) =>
      u.id === 'alice' || u.id === 'dave' || AAD[u.id] === undefined
        ? u
        : { ...u, teams_aad_id: AAD[u.id] },
    ),
    ...['gina', 'hank', 'ivan'].map((id) => ({
      id,
      email: `${id}@example.com`,
      groups: ['data-owners'],
      teams_aad_id: AAD[id],
    })),
  ],
};

export async function startTeamsGateway(
  fake: FakeBotFramework,
  options: { dialect?: Dialect; teams?: Partial<TeamsConfig>; tickMs?: number } = {},
): Promise<TestGateway> {
  // Where the app is installed: every channel of the team, every user's personal scope.
  for (const channel of Object.values(CHANNEL)) fake.installations.add(channel);
  for (const aad of Object.values(AAD)) fake.installations.add(aad);
  fake.teams.set(TEAM_ID, new Set(Object.keys(AAD).map(teamsUserId)));
  // Teams' roster: who the member lookup says each Teams user id is.
  for (const [user, aad] of Object.entries(AAD)) {
    fake.members.set(teamsUserId(user), {
      aadObjectId: aad,
      email: `${user}@example.com`,
      userPrincipalName: `${user}@example.com`,
      tenantId: TENANT_ID,
    });
  }
  return startGateway({
    dialect: options.dialect,
    tickMs: options.tickMs ?? 20,
    directory: TEAMS_DIRECTORY,
    channels: {
      teams: {
        app_id: APP_ID,
        app_password: APP_PASSWORD,
        tenant_id: TENANT_ID,
        channels: [CHANNEL.approvals],
        group_channels: { 'data-owners': [CHANNEL.dataOwners], 'sre-oncall': [CHANNEL.sre] },
        dm_approvers: true,
        service_url: fake.serviceUrl,
        openid_metadata_url: fake.metadataUrl,
        token_url: fake.tokenUrl,
        // Generous: an attempt cut off mid-post is retried and may post twice (at least once).
        timeout_ms: 5000,
        backoff: { initial_ms: 50, max_ms: 200 },
        ...options.teams,
      },
    },
  });
}

/** The Teams user id (29:…) of a test user: what Teams puts in `from.id`. */
export function teamsUserId(user: string): string {
  return `29:teams-${user}`;
}

export interface InvokeOptions {
  /** A directory user (their Teams ids), or an explicit account. */
  as: string | { id: string; aadObjectId?: string; name?: string };
  actionId: string;
  /** `countersign.approve`, `countersign.deny`, or anything else a forged click may carry. */
  verb?: string;
  comment?: string;
  /** The clicked action's `data` as the card had it (a batch button's items); replaces the default. */
  data?: Record<string, unknown>;
  serviceUrl: string;
  tenantId?: string;
  channelId?: string;
  conversationId?: string;
  /** `channelData.team.id`; `null`: none (a personal chat). */
  teamId?: string | null;
}

/** An `adaptiveCard/action` invoke as Teams sends it for an Action.Execute click. */
export function invokeActivity(o: InvokeOptions): Record<string, unknown> {
  const from =
    typeof o.as === 'string'
      ? { id: teamsUserId(o.as), name: o.as, aadObjectId: AAD[o.as] }
      : { name: 'Somebody', ...o.as };
  const data: Record<string, unknown> = o.data ? { ...o.data } : { action_id: o.actionId };
  if (o.comment !== undefined) data.comment = o.comment;
  return {
    type: 'invoke',
    name: 'adaptiveCard/action',
    id: `f:${Math.random().toString(36).slice(2)}`,
    timestamp: new Date().toISOString(),
    channelId: o.channelId ?? 'msteams',
    serviceUrl: o.serviceUrl,
    from,
    recipient: { id: `28:${APP_ID}`, name: 'Countersign' },
    conversation: {
      id: o.conversationId ?? `${CHANNEL.dataOwners};messageid=1`,
      conversationType: 'channel',
      tenantId: o.tenantId ?? TENANT_ID,
    },
    channelData: {
      tenant: { id: o.tenantId ?? TENANT_ID },
      ...(o.teamId === null ? {} : { team: { id: o.teamId ?? TEAM_ID } }),
    },
    value: {
      action: { type: 'Action.Execute', verb: o.verb ?? 'countersign.approve', data },
      trigger: 'manual',
    },
  };
}

/** POSTs an activity to /api/messages as the Bot Connector does. */
export async function postActivity(
  gw: TestGateway,
  activity: Record<string, unknown> | string,
  authorization: string | undefined,
): Promise<{ status: number; body: Json; raw: string }> {
  const raw = typeof activity === 'string' ? activity : JSON.stringify(activity);
  const res = await fetch(`${gw.url}/api/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      ...(authorization === undefined ? {} : { authorization }),
    },
    body: raw,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, raw };
}

/** Audit entries of one type, parsed, oldest first. */
export async function auditEntries(gw: TestGateway, type: string): Promise<Json[]> {
  // Indexed entries only: on PostgreSQL evidence gets its index after the commit.
  const rows = await (
    await indexedStore(gw)
  )
    .selectFrom('audit_entries')
    .select('entry')
    .where('type', '=', type)
    .execute();
  return rows
    .map((r) => JSON.parse(r.entry))
    .sort((a: { index: number }, b: { index: number }) => a.index - b.index);
}

/** A pending request that needs two data owners (rule prod-large-export). */
export async function submitExport(
  gw: TestGateway,
  agentToken: string,
  rows = 20000,
): Promise<string> {
  const res = await gw.call('POST', '/v1/actions', {
    token: agentToken,
    body: {
      action: 'db.export',
      resource: 'postgres://prod/customers',
      environment: 'production',
      params: { rows, table: 'customers' },
      justification: 'Quarterly churn analysis for finance',
      risk: 'high',
    },
  });
  if (res.status !== 201 || res.body.status !== 'pending') {
    throw new Error(`expected a pending request, got ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body.id as string;
}

/** Every Action.Execute in a card's actions, those behind an Action.ShowCard included. */
export function executeActions(card: Json): Json[] {
  return ((card?.actions ?? []) as Json[]).flatMap((a) =>
    a.type === 'Action.Execute' ? [a] : a.type === 'Action.ShowCard' ? executeActions(a.card) : [],
  );
}

/** All the text in a card, for assertions on what an approver reads. */
export function cardText(card: unknown): string {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if ((k === 'text' || k === 'title' || k === 'value') && typeof v === 'string') out.push(v);
        else walk(v);
      }
    }
  };
  walk(card);
  return out.join('\n');
}
