/**
 * A cheap shape check of what the evaluator is given.
 * @module
 */
import { isJsonObject } from '../model/json.js';
import type { PolicyInput } from './types.js';

/**
 * The server validates requests before they get here, but the engine does not rely on it:
 * a missing or non-string field would otherwise make a glob silently not match, and with a
 * default of `allow` that would be an allow.
 */
export function policyInputProblem(input: PolicyInput): string | undefined {
  if (!isJsonObject(input)) return 'not an object';
  for (const key of ['action', 'resource', 'environment'] as const) {
    if (typeof input[key] !== 'string') return `${key} must be a string`;
  }
  if (!isJsonObject(input.params)) return 'params must be an object';
  // Optional fields may be absent or null (a stored request's empty column); CEL sees "".
  for (const key of ['risk', 'justification', 'on_behalf_of'] as const) {
    const value: unknown = input[key];
    if (value !== undefined && value !== null && typeof value !== 'string') {
      return `${key} must be a string`;
    }
  }
  const context: unknown = input.context;
  if (context !== undefined && context !== null && !isJsonObject(context)) {
    return 'context must be an object';
  }
  const agent = input.agent as unknown;
  if (typeof agent !== 'object' || agent === null) return 'agent must be an object';
  if (typeof input.agent.id !== 'string') return 'agent.id must be a string';
  if (
    !Array.isArray(input.agent.owners) ||
    !input.agent.owners.every((o) => typeof o === 'string')
  ) {
    return 'agent.owners must be a list of strings';
  }
  return undefined;
}
