import { actionDigest, type ActionSpec } from '@countersign/core';

/**
 * Pending requests whose MCP call was cancelled, by the digest of their action.
 *
 * MCP hosts time tool calls out (the SDK's default is 60 s unless progress resets it), often
 * long before a human has looked. Cancelling the request then would make every approval that
 * takes a minute impossible; instead it stays pending, and when the model retries the *same*
 * call (same digest: action, resource, environment, params) in this session, the retry waits on
 * that request, which may be approved by then. An approval still covers exactly one digest
 * and its grant is used once. Whatever is still parked when the session ends is cancelled.
 */
export class ParkedRequests {
  private readonly byDigest = new Map<string, string>();

  park(spec: ActionSpec, actionId: string): void {
    this.byDigest.set(actionDigest(spec), actionId);
  }

  /** The parked request for this exact action, removed from the lot. */
  take(spec: ActionSpec): string | undefined {
    const digest = actionDigest(spec);
    const id = this.byDigest.get(digest);
    this.byDigest.delete(digest);
    return id;
  }

  /** Empties the lot: the ids of every request still parked. */
  drain(): string[] {
    const ids = [...this.byDigest.values()];
    this.byDigest.clear();
    return ids;
  }
}
