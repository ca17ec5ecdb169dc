/**
 * `tasks/get`, `tasks/cancel` and `tasks/update` for the approval tasks the proxy hands out
 * (ext-tasks specification). A task id is read back from its signature alone
 * (approval-handles.ts) and the gateway says where the request stands, so any proxy with the
 * secret answers, also after a restart. The poll that finds the request approved redeems the
 * grant and makes the call; the single-use grant keeps that at most once across proxies.
 * @module
 */
import { isJsonObject, type JsonObject } from '@countersign/core';
import type { JSONRPCMessage, JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { invalidHandle, type ApprovalHandles, type BoundCall } from './approval-handles.js';
import { taskBody, waitingMessage, type TaskState } from './approval-task.js';
import { resultResponse } from './json-rpc.js';
import { complete } from './protocol-era.js';
import { refusalResult } from './refusal-result.js';
import { TokenError } from './signed-token.js';
import type { ToolCallGate } from './tool-call-gate.js';
import type { ToolHints } from './tool-hints.js';
import { traceContextOf, type TraceContext } from './trace-context.js';

export interface ApprovalTasksOptions {
  gate: ToolCallGate;
  handles: ApprovalHandles;
  now: () => number;
  hintsFor: (tool: string) => Promise<ToolHints>;
  /** Makes an approved call upstream: its result, or `{error}` with the JSON-RPC error. */
  run: (call: BoundCall, actionId: string, trace: TraceContext | undefined) => Promise<JsonObject>;
  log: (line: string) => void;
}

/** How many finished calls a process remembers for a repeated `tasks/get`. */
const KEPT_RESULTS = 1_000;

export class ApprovalTasks {
  /** Results of the calls this process ran, by gateway request id. */
  private readonly results = new Map<string, Promise<JsonObject>>();

  constructor(private readonly options: ApprovalTasksOptions) {}

  /** The answer to one `tasks/*` request; `server` is this proxy's server segment. */
  async serve(m: JSONRPCRequest, server: string | undefined): Promise<JSONRPCMessage> {
    const params = isJsonObject(m.params) ? m.params : {};
    let task;
    try {
      task = this.options.handles.readTask(params.taskId);
      // A task of another upstream (same secret, other --name) is not this proxy's to run.
      if (server !== undefined && task.call.server !== server) throw new TokenError('other_call');
    } catch (e) {
      const error = invalidHandle(m.id, e, 'taskId');
      this.options.log(`refused a ${m.method}: ${error.error.data.detail}`);
      return error;
    }
    if (m.method === 'tasks/update') {
      // An approval task never asks for input: every response is for an unknown key, ignored.
      return resultResponse(m.id, { resultType: 'complete' });
    }
    if (m.method === 'tasks/cancel') {
      await this.options.gate.cancel(task.actionId, 'the MCP client cancelled the task');
      return resultResponse(m.id, { resultType: 'complete' });
    }
    const trace = traceContextOf(params._meta);
    const state: TaskState = {
      taskId: params.taskId as string,
      status: 'working',
      createdAt: task.createdAt,
      expiresAt: task.expiresAt,
      now: this.options.now(),
    };
    let result = this.results.get(task.actionId);
    if (result === undefined) {
      const verdict = await this.options.gate.resume(
        {
          ...task.call,
          hints: await this.options.hintsFor(task.call.tool),
          requestId: m.id,
          signal: new AbortController().signal,
          onWaiting: () => undefined,
          detach: true,
          trace,
        },
        task.actionId,
      );
      if (verdict.kind === 'pending' || verdict.kind === 'cancelled') {
        const statusMessage =
          verdict.kind === 'pending' ? waitingMessage(verdict.record) : undefined;
        const working = { ...state, ...(statusMessage === undefined ? {} : { statusMessage }) };
        return resultResponse(m.id, taskBody(working, 'complete'));
      }
      if (verdict.kind === 'refuse' && verdict.unreachable === true) {
        // The gateway could not be asked (fail closed: nothing ran); the task is still working.
        return resultResponse(
          m.id,
          taskBody({ ...state, statusMessage: verdict.text }, 'complete'),
        );
      }
      result =
        verdict.kind === 'refuse'
          ? Promise.resolve(
              complete(
                refusalResult(verdict.text, {
                  id: verdict.actionId,
                  status: verdict.status,
                }) as JsonObject,
              ),
            )
          : this.options.run(task.call, verdict.actionId, trace);
      this.keep(task.actionId, result);
    }
    const answer = await result;
    const failed = isJsonObject(answer.error);
    const done: TaskState = {
      ...state,
      status: failed ? 'failed' : 'completed',
      ...(failed ? { error: answer.error as JsonObject } : { result: answer }),
    };
    return resultResponse(m.id, taskBody(done, 'complete'));
  }

  /** Bounded: a forgotten result costs a poll the answer "already ran", never a second run. */
  private keep(actionId: string, result: Promise<JsonObject>): void {
    this.results.set(actionId, result);
    for (const old of this.results.keys()) {
      if (this.results.size <= KEPT_RESULTS) break;
      this.results.delete(old);
    }
  }
}
