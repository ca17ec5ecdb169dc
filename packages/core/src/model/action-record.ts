import type { JsonObject, JsonValue } from './json.js';
import type { Risk } from './action-request.js';
import type { Decision, Status } from './status.js';
import type { ApprovalRequirement, RuleTrace } from '../policy/types.js';

/** What the agent reported after running an approved action. */
export interface ActionResult {
  outcome: 'completed' | 'failed';
  detail: JsonValue | null;
  at: number;
}

/** A request as stored: the input, the policy's decision, and where it is in its life. */
export interface ActionRecord {
  id: string;
  agent_id: string;
  idempotency_key: string | null;
  action: string;
  resource: string;
  environment: string;
  params: JsonObject;
  justification: string | null;
  risk: Risk | null;
  on_behalf_of: string | null;
  context: JsonObject | null;
  callback_url: string | null;
  digest: string;
  status: Status;
  decision: Decision;
  reason: string;
  rules: string[];
  trace: RuleTrace[];
  approval: ApprovalRequirement | null;
  policy_version: string;
  /** Epoch milliseconds. */
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  decided_at: number | null;
  result: ActionResult | null;
  /** Next escalation deadline while pending. */
  escalate_at: number | null;
  /** Rules whose escalation has fired: their `escalate.to` groups may now vote. */
  escalated_rules: string[];
  /** A break-glass approval decided this request: listed for review afterwards. */
  break_glass: boolean;
  /** The signed grant, once approved. The token is a bearer capability: requester only. */
  grant: GrantRef | null;
  /** The standing approval that approved it (docs/fatigue.md); absent or null otherwise. */
  standing_approval_id?: string | null | undefined;
}

export interface GrantRef {
  token: string;
  jti: string;
  expires_at: number;
  redeemed_at: number | null;
}

export type VoteChoice = 'approve' | 'deny';
/**
 * The channel a vote came through, as authentication established it: a bearer token is `api`
 * (the CLI included), a web session `web`, a Slack signature `slack`, a Teams JWT `teams`.
 * `cli` is only ever read back from votes stored before the channel stopped being taken from
 * the client's User-Agent (issue 12); no new vote can carry it (see VoteChannel).
 */
export type Channel = 'api' | 'cli' | 'web' | 'slack' | 'teams';

/** The channels a new vote can come through: never `cli`, which a client could only claim. */
export type VoteChannel = Exclude<Channel, 'cli'>;

/** One human's vote, counted or refused (refusals carry the code they were refused with). */
export interface Vote {
  id: string;
  action_id: string;
  user: string;
  vote: VoteChoice;
  comment: string | null;
  channel: Channel;
  at: number;
  /** SHA-256 of the verified raw channel payload. */
  evidence: string | null;
  /** The voter's groups at the time of the vote. */
  groups: string[];
  outcome: 'counted' | 'refused';
  code: string | null;
  break_glass: boolean;
}
