/**
 * The Tasks extension's shapes (ext-tasks specification, "Tasks" and "Task Polling") for a
 * tool call waiting for approval: `working` while the gateway request is pending, `completed`
 * with the tool result (or the refusal, which is a tool result with `isError: true`) after.
 * `failed` is kept for JSON-RPC errors from the upstream, as the extension requires.
 * @module
 */
import type { JsonObject } from '@countersign/core';

export type TaskStatus = 'working' | 'completed' | 'failed' | 'cancelled';

/** How often clients should poll (ext-tasks, "Task Polling": clients SHOULD honor it). */
export const POLL_INTERVAL_MS = 5_000;

export interface TaskState {
  taskId: string;
  status: TaskStatus;
  createdAt: number;
  expiresAt: number;
  now: number;
  statusMessage?: string;
  result?: JsonObject;
  error?: JsonObject;
}

/** A `Task` (and `DetailedTask` for `tasks/get`), with `resultType` as each method needs it. */
export function taskBody(state: TaskState, resultType: 'task' | 'complete'): JsonObject {
  return {
    resultType,
    taskId: state.taskId,
    status: state.status,
    ...(state.statusMessage === undefined ? {} : { statusMessage: state.statusMessage }),
    createdAt: new Date(state.createdAt).toISOString(),
    lastUpdatedAt: new Date(state.now).toISOString(),
    ttlMs: Math.max(0, state.expiresAt - state.createdAt),
    pollIntervalMs: POLL_INTERVAL_MS,
    ...(state.result === undefined ? {} : { result: state.result }),
    ...(state.error === undefined ? {} : { error: state.error }),
  };
}

/** The status line of a call waiting for a person: the request and why it waits. */
export function waitingMessage(record: { id: string; reason: string }): string {
  return `Waiting for approval in Countersign (${record.id}): ${record.reason}`;
}
