import type { GrantClaims } from '@countersign/core';
import type { ActionRepository } from '../storage/action-repository.js';
import type { ChangeFeed } from '../storage/change-feed.js';
import type { ActionEvents } from './action-events.js';

/**
 * A redemption changes its request's record: wakes its subscribers in this process (SSE, the
 * web inbox) and announces it to other replicas. Never throws (GrantService `onRedeemed`).
 */
export function redemptionWake(deps: {
  actions: ActionRepository;
  events: ActionEvents;
  feed: ChangeFeed;
  /** Told of each redemption first (metrics). */
  onRedeemed: () => void;
}): (claims: GrantClaims) => void {
  return (claims) => {
    deps.onRedeemed();
    void deps.actions.findById(claims.request_id).then(
      (r) => r && deps.events.publish(r),
      () => undefined,
    );
    void deps.feed.announce(deps.events.origin, [claims.request_id]).catch(() => undefined);
  };
}
