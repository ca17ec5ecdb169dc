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
}
