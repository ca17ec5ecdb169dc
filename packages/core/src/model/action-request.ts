import type { JsonObject } from './json.js';

/** How risky the requesting agent says the action is. A hint for reviewers and policy. */
export type Risk = 'low' | 'medium' | 'high' | 'critical';
export const RISKS: readonly Risk[] = ['low', 'medium', 'high', 'critical'];

/**
 * The exact action an agent wants to take. These four fields, and only these, are covered
 * by the digest and therefore by an approval (PRODUCT.md, non-negotiable 3).
 */
export interface ActionSpec {
  /** Dotted action type, e.g. `db.export`, `k8s.rollout.restart`. */
  action: string;
  /** URI-like resource name, e.g. `postgres://prod/customers`. */
  resource: string;
  environment: string;
  params: JsonObject;
}

/** What an agent submits to `POST /v1/actions`. */
export interface ActionRequestInput extends ActionSpec {
  justification?: string | undefined;
  risk?: Risk | undefined;
  on_behalf_of?: string | undefined;
  context?: JsonObject | undefined;
  callback_url?: string | undefined;
  idempotency_key?: string | undefined;
}

/** Used when a request names no environment. */
export const DEFAULT_ENVIRONMENT = 'default';
