import { CHANGE_KINDS, type ChangeKind } from '@countersign/core';
import type { PolicyShadowDisagreedData } from '../audit/audit-events.js';
import type { ShadowDisagreementRepository } from '../storage/shadow-disagreement-repository.js';

/** One recorded disagreement, as `GET /v1/policy/shadow` lists it. */
export interface ShadowExample extends PolicyShadowDisagreedData {
  request_id: string;
  at: string;
  agent: string;
  action: string;
}

/** How many examples are listed, newest first. */
export const SHADOW_EXAMPLES = 20;

/** What `GET /v1/policy/shadow` says of the disagreements of one shadow version. */
export interface ShadowTally {
  /** The oldest counted disagreement's time; the time of the answer when there is none. */
  since: string;
  counts: Record<ChangeKind, number>;
  examples: ShadowExample[];
}

/**
 * The disagreements of shadow version `version` (none without one), read from the store: the
 * audit log's `policy.shadow_disagreed` entries, whichever replica recorded them, so every
 * replica answers the same and a restart loses nothing.
 */
export async function shadowTally(
  repo: ShadowDisagreementRepository,
  version: string | null,
  now: number,
): Promise<ShadowTally> {
  if (version === null) return emptyTally(now);
  const zero = emptyTally(now).counts;
  const [{ counts, oldest }, newest] = await Promise.all([
    repo.counts(version),
    repo.newest(version, SHADOW_EXAMPLES),
  ]);
  for (const k of CHANGE_KINDS) zero[k] = counts.get(k) ?? 0;
  return {
    since: new Date(oldest ?? now).toISOString(),
    counts: zero,
    examples: newest.map((e) => ({
      ...(JSON.parse(e.data) as PolicyShadowDisagreedData),
      request_id: e.request_id,
      at: new Date(e.at).toISOString(),
      agent: e.agent ?? '',
      action: e.action ?? '',
    })),
  };
}

/** No disagreements: without a shadow version, or without a store (apps built bare in tests). */
export function emptyTally(now: number): ShadowTally {
  const counts = Object.fromEntries(CHANGE_KINDS.map((k) => [k, 0])) as Record<ChangeKind, number>;
  return { since: new Date(now).toISOString(), counts, examples: [] };
}
