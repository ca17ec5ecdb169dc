import {
  ActionRefused,
  ApiError,
  Countersign,
  CountersignError as SdkError,
  GatewayUnavailable,
  type ActionRecord,
  type ActionSpec,
  type JsonObject,
  type JsonValue,
  type Risk,
} from '@countersign/sdk';
import { CountersignError } from '@countersign/core';
import { EXIT } from '../cli-error.js';
import { terminalJson, terminalSafe as safe } from '../terminal-text.js';

/** Exit codes of the agent-side commands, beyond 0 ok, 1 failed, 2 usage. */
export const AGENT_EXIT = { ...EXIT, refused: 3, unavailable: 4, interrupted: 130 } as const;

/** Where the gateway is and which agent asks (flags, then COUNTERSIGN_URL / COUNTERSIGN_TOKEN). */
export interface AgentFlags {
  url?: string;
  token?: string;
}

/** What to ask for, as `request` and `run` take it. */
export interface ActionFlags extends AgentFlags {
  action: string;
  resource: string;
  environment?: string;
  param?: string[];
  paramsJson?: string;
  justification?: string;
  risk?: string;
  onBehalfOf?: string;
  idempotencyKey?: string;
}

/** An SDK client for the agent token in the flags or the environment. */
export function agentClient(flags: AgentFlags, options: { attempts?: number } = {}): Countersign {
  const token = flags.token ?? process.env.COUNTERSIGN_TOKEN;
  if (!token) {
    throw new CountersignError(
      'invalid_request',
      'no token: pass --token or set COUNTERSIGN_TOKEN (an agent token)',
    );
  }
  return new Countersign({
    url: flags.url ?? process.env.COUNTERSIGN_URL ?? 'http://localhost:8080',
    token,
    userAgent: 'countersign-cli/0.1.0',
    ...(options.attempts === undefined ? {} : { retry: { attempts: options.attempts } }),
  });
}

/**
 * The action from the flags. `--param k=v` values are JSON when they parse as JSON (numbers,
 * true/false/null, quoted strings, arrays, objects) and strings otherwise, so `rows=50000` is
 * the number a policy compares; `--param` entries override keys from `--params-json`.
 */
export function actionSpec(flags: ActionFlags): ActionSpec {
  const params: JsonObject = {};
  if (flags.paramsJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(flags.paramsJson);
    } catch {
      throw new CountersignError('invalid_request', '--params-json is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new CountersignError('invalid_request', '--params-json must be a JSON object');
    }
    Object.assign(params, parsed);
  }
  for (const entry of flags.param ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new CountersignError('invalid_request', `--param ${entry}: expected k=v`);
    params[entry.slice(0, eq)] = jsonOrString(entry.slice(eq + 1));
  }
  if (flags.risk !== undefined && !['low', 'medium', 'high', 'critical'].includes(flags.risk)) {
    throw new CountersignError('invalid_request', '--risk is low, medium, high or critical');
  }
  return {
    action: flags.action,
    resource: flags.resource,
    params,
    ...(flags.environment === undefined ? {} : { environment: flags.environment }),
    ...(flags.justification === undefined ? {} : { justification: flags.justification }),
    ...(flags.risk === undefined ? {} : { risk: flags.risk as Risk }),
    ...(flags.onBehalfOf === undefined ? {} : { on_behalf_of: flags.onBehalfOf }),
  };
}

function jsonOrString(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/**
 * Turns an SDK failure into a message on stderr and an exit code: 3 refused, 4 gateway
 * unreachable, 1 a refusal of the call itself (bad token, invalid action). Anything else is
 * rethrown for the generic handler.
 */
export function agentFailure(e: unknown): number {
  if (e instanceof ActionRefused) {
    process.stderr.write(`countersign: ${safe(e.message)}\n`);
    return AGENT_EXIT.refused;
  }
  if (e instanceof GatewayUnavailable) {
    process.stderr.write(`countersign: not run (fail closed): ${safe(e.message)}\n`);
    return AGENT_EXIT.unavailable;
  }
  if (e instanceof ApiError || e instanceof SdkError) {
    process.stderr.write(`countersign: ${safe(e.message)}\n`);
    return AGENT_EXIT.failed;
  }
  throw e;
}

/**
 * Two lines for a person reading a terminal; the message quotes the agent's action and
 * resource and the reviewers' comments, so it is printed inert.
 */
export function describeRecord(r: ActionRecord): string {
  const rules = r.rules.length > 0 ? ` [${r.rules.map(safe).join(', ')}]` : '';
  return `${safe(r.id)} ${safe(r.status)}${rules}\n${safe(r.message)}\n`;
}

/**
 * `countersign request`: submits an action; with `--wait`, waits for the decision. Prints the
 * record (or `--json`); exits 0 when approved, 1 otherwise (denied, expired, cancelled, still
 * pending), 4 when the gateway cannot be reached.
 */
export async function requestCommand(
  flags: ActionFlags & { wait?: boolean; timeout?: string; json?: boolean },
): Promise<number> {
  const timeoutMs = flags.timeout === undefined ? undefined : Number(flags.timeout) * 1000;
  if (timeoutMs !== undefined && !(timeoutMs >= 0)) {
    throw new CountersignError('invalid_request', '--timeout is a number of seconds');
  }
  const cs = agentClient(flags);
  let record: ActionRecord;
  try {
    record = await cs.request(actionSpec(flags), {
      ...(flags.idempotencyKey === undefined ? {} : { idempotencyKey: flags.idempotencyKey }),
    });
    if (flags.wait && record.status === 'pending') {
      if (!flags.json)
        process.stderr.write(`waiting: ${safe(record.reason)} (${safe(record.id)})\n`);
      record = await cs.wait(record.id, timeoutMs === undefined ? {} : { timeoutMs });
    }
  } catch (e) {
    const code = agentFailure(e);
    return code === AGENT_EXIT.refused ? EXIT.failed : code;
  }
  process.stdout.write(flags.json ? `${terminalJson(record)}\n` : describeRecord(record));
  return record.status === 'approved' ? EXIT.ok : EXIT.failed;
}
