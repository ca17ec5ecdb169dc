/**
 * The Microsoft 365 Agents SDK, loaded on first use. It is the protocol model of this channel
 * (the Activity schema and its validation, the Bot Connector client, the card attachment
 * format), but it takes ~200 ms to load: a gateway without Teams configured, and every CLI
 * command that imports the server package, never pays for it.
 * @module
 */

import type * as Hosting from '@microsoft/agents-hosting';
import type * as ActivityModule from '@microsoft/agents-activity';

export interface TeamsSdk {
  hosting: typeof Hosting;
  activity: typeof ActivityModule;
}

let loading: Promise<TeamsSdk> | undefined;

export function loadTeamsSdk(): Promise<TeamsSdk> {
  loading ??= Promise.all([
    import('@microsoft/agents-hosting'),
    import('@microsoft/agents-activity'),
  ]).then(([hosting, activity]) => ({ hosting, activity }));
  return loading;
}
