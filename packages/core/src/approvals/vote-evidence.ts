import { hash } from 'node:crypto';
import { canonicalJson } from '../digest/canonical-json.js';
import type { VoteChoice } from '../model/action-record.js';

/**
 * A vote's evidence: `sha256:<hex>` of the payload the vote arrived in, exactly as it was
 * authenticated (the Slack or Teams request body byte for byte, a Socket Mode envelope's
 * canonical JSON). Stored with the vote and in its audit entry, so the payload a reviewer
 * keeps can be matched to the vote later. One function, so every channel hashes alike.
 */
export function voteEvidence(payload: string | Uint8Array): string {
  return `sha256:${hash('sha256', payload, 'hex')}`;
}

/**
 * The evidence of a vote made through the API (bearer token or web session): the API body has
 * no signature of its own, so the hash is over the RFC 8785 canonical JSON of what was voted.
 */
export function apiVoteEvidence(vote: {
  action_id: string;
  vote: VoteChoice;
  comment: string | null;
}): string {
  return voteEvidence(
    canonicalJson({ action_id: vote.action_id, vote: vote.vote, comment: vote.comment }),
  );
}
