import type { ActionSpec, JsonObject, JsonValue } from '@countersign/sdk';
import { agentClient, type AgentFlags } from './request.js';

/**
 * The PreToolUse input Claude Code writes on the hook's stdin (Claude Code hooks reference,
 * https://code.claude.com/docs/en/hooks#common-input-fields and #pretooluse-input:
 * session_id, transcript_path, cwd, permission_mode, hook_event_name, tool_name, tool_input,
 * tool_use_id, and `agent_id`/`agent_type` when a subagent makes the call). Only what we use is
 * typed; everything is checked, since it is parsed input.
 */
interface PreToolUseInput {
  session_id?: string;
  agent_id?: string;
  agent_type?: string;
  cwd?: string;
  permission_mode?: string;
  hook_event_name?: string;
  tool_name: string;
  tool_input: JsonObject;
  tool_use_id?: string;
}

/**
 * The decision Claude Code reads from stdout (exit 0): `hookSpecificOutput` for PreToolUse
 * (https://code.claude.com/docs/en/hooks#pretooluse-decision-control). `additionalContext` is
 * added to Claude's context before the tool runs: the approvers' comments ("only the staging
 * table") reach the model, not just the log. `defer` stops a non-interactive `claude -p` run
 * with the call pending, to be resumed later (`claude -p --resume`); Claude Code honours it
 * only there.
 */
export interface PreToolUseDecision {
  hookSpecificOutput: {
    hookEventName: 'PreToolUse';
    permissionDecision: 'allow' | 'deny' | 'ask' | 'defer';
    permissionDecisionReason: string;
    additionalContext?: string;
  };
}

export interface HookFlags extends AgentFlags {
  /** Seconds to wait for a human before answering `--on-pending`. */
  wait?: string;
  onPending?: string;
  environment?: string;
  resource?: string;
}

/** stdin larger than this is not a hook input we will parse. */
const MAX_INPUT_BYTES = 4 * 1024 * 1024;

/**
 * `countersign hook claude-code`: a Claude Code PreToolUse hook. The tool call becomes the
 * action `claude_code.<tool name>` with the tool input as params; the gateway's decision
 * becomes `allow`, `deny` (with the reason, which Claude reads) or, when nobody decided within
 * `--wait` seconds, `ask` (or `deny` with `--on-pending deny`, or `defer` with
 * `--on-pending defer` for `claude -p`). Fail closed: any error at all,
 * including an unreachable gateway or unreadable input, is a `deny` naming the error. Always
 * exits 0 so Claude Code reads the JSON.
 */
export async function hookClaudeCode(flags: HookFlags): Promise<number> {
  const decision = await hookDecision(flags, process.stdin);
  process.stdout.write(`${JSON.stringify(decision)}\n`);
  return 0;
}

/** The decision for one hook input; never throws (fail closed: any error is a deny). */
export async function hookDecision(
  flags: HookFlags,
  stdin: AsyncIterable<Buffer | string>,
): Promise<PreToolUseDecision> {
  try {
    return await decide(flags, await readInput(stdin));
  } catch (e) {
    return answer(
      'deny',
      `Countersign could not approve this tool call, so it is refused (fail closed): ${
        e instanceof Error ? e.message : String(e)
      }`,
    );
  }
}

async function decide(flags: HookFlags, input: PreToolUseInput): Promise<PreToolUseDecision> {
  const waitSeconds = Number(flags.wait ?? 20);
  if (!(waitSeconds >= 0)) throw new Error('--wait is a number of seconds');
  const onPending = flags.onPending ?? 'ask';
  if (onPending !== 'ask' && onPending !== 'deny' && onPending !== 'defer') {
    throw new Error('--on-pending is ask, deny or defer');
  }
  // Claude Code is blocked while the hook runs: a short retry budget, then fail closed.
  const cs = agentClient(flags, { attempts: 3 });
  let record = await cs.request(actionFor(flags, input), {
    // One request per tool call, however often this hook is run for it.
    ...(input.tool_use_id && input.session_id
      ? { idempotencyKey: `claude-code:${input.session_id}:${input.tool_use_id}`.slice(0, 200) }
      : {}),
  });
  if (record.status === 'pending') {
    record = await cs.wait(record.id, { timeoutMs: waitSeconds * 1000 });
  }
  if (record.status === 'pending' && onPending === 'defer') {
    // The request stays open for its reviewers: the resumed run sends the same tool_use_id,
    // so the idempotency key finds this request and its decision (docs/claude-code.md).
    return answer(
      'defer',
      `Countersign: ${record.action} is waiting for approval (${record.id}); resume this session once it is decided.`,
    );
  }
  if (record.status === 'pending') {
    // The decision moves to the terminal (ask) or to the model (deny): withdraw the request so
    // reviewers do not approve something nobody is waiting for any more.
    const id = record.id;
    // A decision that won the race makes cancel fail: then it is the answer.
    record = await cs
      .cancel(id, { reason: `no decision within ${waitSeconds} s` })
      .catch(() => cs.get(id));
    if (record.status === 'pending' || record.status === 'cancelled') {
      const why = `Countersign: nobody approved ${record.action} within ${waitSeconds} s (${record.id}, ${record.reason})`;
      return onPending === 'ask'
        ? answer('ask', `${why}. The request was withdrawn; decide here.`)
        : answer('deny', `${why}. The request was withdrawn; ask again later.`);
    }
  }
  return record.status === 'approved'
    ? answer('allow', `Countersign: ${record.reason} (${record.id})`, approversSaid(record.votes))
    : answer('deny', record.message);
}

/**
 * The approvers' comments, for Claude to read before it runs the tool. Reviewers write them
 * for the agent ("use the replica"); without this they reached only the audit log.
 */
function approversSaid(
  votes: readonly { user: string; vote: string; comment: string | null }[],
): string | undefined {
  const said = votes
    .filter((v) => v.vote === 'approve' && v.comment)
    .map((v) => `${v.user}: ${v.comment}`);
  return said.length === 0
    ? undefined
    : `Countersign approvers' comments on this tool call:\n${said.join('\n')}`;
}

/** `claude_code.<tool>`: lowercased, and only characters an action segment may hold. */
function actionFor(flags: HookFlags, input: PreToolUseInput): ActionSpec {
  const tool = input.tool_name.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
  const description = input.tool_input.description;
  const context: JsonObject = { hook: 'claude-code' };
  // agent_id/agent_type name the subagent making the call: reviewers see which one asks.
  const keys = ['session_id', 'agent_id', 'agent_type', 'cwd', 'permission_mode', 'tool_use_id'];
  for (const key of keys as readonly (keyof PreToolUseInput)[]) {
    const v = input[key];
    if (typeof v === 'string') context[key] = v;
  }
  return {
    action: `claude_code.${tool}`,
    resource: flags.resource ?? resourceOf(input),
    params: input.tool_input,
    context,
    ...(flags.environment === undefined ? {} : { environment: flags.environment }),
    ...(typeof description === 'string' ? { justification: description.slice(0, 4000) } : {}),
  };
}

/** What the tool acts on: the file it edits, the URL it fetches, else the project directory. */
function resourceOf(input: PreToolUseInput): string {
  const { file_path, notebook_path, url } = input.tool_input;
  const path = [file_path, notebook_path].find((p): p is string => typeof p === 'string');
  if (path) return `file://${path}`;
  if (typeof url === 'string' && url.length > 0) return url.slice(0, 1000);
  return input.cwd ? `file://${input.cwd}` : 'claude-code://unknown';
}

async function readInput(stdin: AsyncIterable<Buffer | string>): Promise<PreToolUseInput> {
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.length > MAX_INPUT_BYTES) throw new Error('the hook input is too large');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('the hook input on stdin is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('the hook input is not a JSON object');
  }
  const p = parsed as Record<string, unknown>;
  if (p.hook_event_name !== undefined && p.hook_event_name !== 'PreToolUse') {
    throw new Error(`this hook handles PreToolUse, not ${JSON.stringify(p.hook_event_name)}`);
  }
  if (typeof p.tool_name !== 'string' || p.tool_name.length === 0) {
    throw new Error('the hook input has no tool_name');
  }
  const toolInput = p.tool_input ?? {};
  return {
    ...(p as Partial<PreToolUseInput>),
    tool_name: p.tool_name,
    tool_input:
      typeof toolInput === 'object' && toolInput !== null && !Array.isArray(toolInput)
        ? (toolInput as JsonObject)
        : { input: toolInput as JsonValue },
  };
}

function answer(
  permissionDecision: PreToolUseDecision['hookSpecificOutput']['permissionDecision'],
  reason: string,
  additionalContext?: string,
): PreToolUseDecision {
  return {
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision,
      permissionDecisionReason: reason,
      ...(additionalContext === undefined ? {} : { additionalContext }),
    },
  };
}
