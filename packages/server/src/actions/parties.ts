import type { ActionRecord, RequestParties } from '@countersign/core';
import type { Directory } from '../config/directory.js';

/**
 * The requesting side of a request, as the directory knows it now: the agent, its owners and
 * the person it acts for. The one place they are gathered, for the vote, the inbox, the chat
 * channels' list of eligible approvers and the SOC 2 report.
 */
export function partiesOf(
  directory: Directory,
  request: Pick<ActionRecord, 'agent_id' | 'on_behalf_of'>,
): RequestParties {
  return {
    agent_id: request.agent_id,
    agent_owners: directory.agent(request.agent_id)?.owners ?? [],
    on_behalf_of: request.on_behalf_of,
  };
}
