import { CountersignError } from '../errors.js';
import type { Status } from '../model/status.js';

/**
 * The request state machine. Every state change in the system goes through `assertTransition`,
 * so a request can reach a terminal state exactly once.
 */
const ALLOWED: Readonly<Record<Status, readonly Status[]>> = {
  pending: ['approved', 'denied', 'expired', 'cancelled'],
  approved: ['completed', 'failed'],
  denied: [],
  expired: [],
  cancelled: [],
  completed: [],
  failed: [],
};

export function canTransition(from: Status, to: Status): boolean {
  return ALLOWED[from].includes(to);
}

/** True once no human decision can change the request any more. */
export function isDecided(status: Status): boolean {
  return status !== 'pending';
}

/**
 * Throws the error a caller should see when `from → to` is not allowed: a request that has
 * expired says so (`request_expired`), any other decided request is `already_decided`.
 */
export function assertTransition(from: Status, to: Status): void {
  if (canTransition(from, to)) return;
  if (from === 'expired') {
    throw new CountersignError('request_expired', 'the request has expired', { status: from });
  }
  if (from === 'pending') {
    throw new CountersignError('invalid_transition', `a pending request cannot become ${to}`, {
      status: from,
    });
  }
  if (to === 'completed' || to === 'failed') {
    throw new CountersignError(
      from === 'approved' ? 'invalid_transition' : 'already_decided',
      `a result can only be reported for an approved request (this one is ${from})`,
      { status: from },
    );
  }
  throw new CountersignError('already_decided', `the request is already ${from}`, { status: from });
}
