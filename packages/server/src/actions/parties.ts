import type { ActionRecord, RequestParties } from '@countersign/core';
import type { Directory } from '../config/directory.js';

/** The requesting side of a request, as the directory knows it now. */
export function partiesOf(directory: Directory, record: ActionRecord): RequestParties {
  return {
    agent_id: record.agent_id,
    agent_owners: directory.agent(record.agent_id)?.owners ?? [],
    on_behalf_of: record.on_behalf_of,
  };
}
