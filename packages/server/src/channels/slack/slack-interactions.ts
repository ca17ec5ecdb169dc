import {
  CountersignError,
  type ActionRecord,
  type ErrorCode,
  type VoteChoice,
} from '@countersign/core';
import type { VoteService } from '../../actions/vote-service.js';
import { alreadyAudited } from '../../actions/vote-refusal.js';
import type { AuditEvent } from '../../audit/audit-log.js';
import type { Principal } from '../../auth/principal.js';
import type { User } from '../../config/directory.js';
import type { SlackApi } from './slack-api.js';
import { ACTION_ID } from './slack-blocks.js';
import {
  DENY_CALLBACK_ID,
  denyModal,
  readDenyMetadata,
  readDenyReason,
  reasonError,
} from './slack-deny-modal.js';
import type { SlackFollowUps } from './slack-followups.js';
import type { SlackIdentity, SlackIdentityMapper } from './slack-identity.js';
import { readInteraction } from './slack-payload.js';

export interface SlackInteractionDeps {
  votes: Pick<VoteService, 'vote'>;
  find(id: string): Promise<ActionRecord | undefined>;
  identities: SlackIdentityMapper;
  api: SlackApi;
  /** Appends audit evidence (AppDeps.record): refusals answered with a 200 are recorded here. */
  record(events: AuditEvent[]): Promise<void>;
  followUps: SlackFollowUps;
  publicUrl: string;
  teamId: string | undefined;
  onError: (e: unknown) => void;
}

/** What to answer Slack: an empty 200, or a body (a view_submission's `response_action`). */
export interface SlackAck {
  body?: Record<string, unknown>;
}

const EXPLAIN: Partial<Record<ErrorCode, string>> = {
  self_approval_forbidden:
    'You cannot approve this request: you asked for it, you own its agent, or it acts for you.',
  not_eligible: 'You are not in a group that reviews this request.',
  already_decided: 'This request is already decided.',
  request_expired: 'This request has expired; it is refused.',
  already_voted: 'You have already voted on this request.',
  not_found: 'There is no such request.',
};

/**
 * Handles an interaction payload, from HTTP (`POST /slack/interactions`, signature verified)
 * or Socket Mode (an authenticated WebSocket) alike. Votes go through `VoteService.vote` with
 * `channel: 'slack'` and the payload's hash as evidence, so separation of duties, quorum and
 * races are decided there as for every other channel. Slack is always answered with a 200:
 * a refusal is explained to the clicker (ephemerally, or inside the modal) and audited.
 */
export class SlackInteractions {
  constructor(private readonly deps: SlackInteractionDeps) {}

  async handle(payload: unknown, evidence: string): Promise<SlackAck> {
    const i = readInteraction(payload);
    if (i.type === 'other') return {}; // shortcuts, view_closed…: nothing of ours
    const { deps } = this;
    const slackUser = i.user;
    const refuse = async (code: ErrorCode, reason: string, user?: User, id?: string) => {
      await this.audit(code, reason, { slackUser, team: i.team, user, id, evidence });
    };
    if (deps.teamId !== undefined && i.team !== deps.teamId) {
      await refuse('forbidden', 'other_workspace');
      return i.type === 'view_submission' ? { body: reasonError('Wrong Slack workspace.') } : {};
    }

    if (i.type === 'view_submission') {
      const origin = readDenyMetadata(i.privateMetadata);
      if (i.callbackId !== DENY_CALLBACK_ID || origin === undefined) {
        await refuse('invalid_request', 'unknown_view');
        return {};
      }
      const reason = readDenyReason(i.state);
      if (reason === undefined) return { body: reasonError('Say why you deny it.') };
      const identity = await this.identify(slackUser);
      if (!identity.ok) {
        await refuse('forbidden', 'unmapped_slack_user', undefined, origin.id);
        return { body: reasonError(`Not counted: ${identity.reason}.`) };
      }
      const refusal = await this.vote(
        identity.user,
        slackUser,
        origin.id,
        'deny',
        reason,
        evidence,
      );
      if (refusal !== undefined) return { body: reasonError(refusal) };
      this.tell(origin.channel, slackUser, `You denied ${origin.id}. Your reason was recorded.`);
      return {};
    }

    const match = ACTION_ID.exec(i.actionId ?? '');
    if (!match) {
      await refuse('invalid_request', 'unknown_action');
      this.tell(i.channel, slackUser, 'Countersign does not know this button.');
      return {};
    }
    const verb = match[1] as 'approve' | 'deny' | 'open';
    const id = match[2] ?? '';
    if (verb === 'open') return {}; // a link button: Slack opened the web UI
    const identity = await this.identify(slackUser);
    if (!identity.ok) {
      await refuse('forbidden', 'unmapped_slack_user', undefined, id);
      this.tell(i.channel, slackUser, `Not counted: ${identity.reason}. Ask an administrator.`);
      return {};
    }
    const record = await deps.find(id);
    if (verb === 'approve' && record?.approval?.clauses.some((c) => c.step_up === 'web')) {
      // step_up: web — approvals of this rule need the web UI's sign-on; Slack is not enough.
      await refuse('forbidden', 'step_up_required', identity.user, id);
      this.tell(i.channel, slackUser, `Approve it in Countersign: ${this.link(id)}`);
      return {};
    }
    if (verb === 'deny' && record?.status === 'pending') {
      // The reason is asked for in a modal; its submission is the vote.
      const trigger = i.triggerId;
      const fallback = `Could not open the deny form; deny it in Countersign: ${this.link(id)}`;
      if (trigger === undefined) this.tell(i.channel, slackUser, fallback);
      else {
        deps.followUps.run(() =>
          deps.api.openView(trigger, denyModal(record, i.channel)).catch((e: unknown) => {
            this.tell(i.channel, slackUser, fallback);
            throw e;
          }),
        );
      }
      return {};
    }
    // An approval, or a deny of a decided or unknown request: VoteService decides (and records).
    const refusal = await this.vote(identity.user, slackUser, id, verb, undefined, evidence);
    this.tell(i.channel, slackUser, refusal ?? `Your approval of ${id} was counted.`);
    return {};
  }

  /** One vote through VoteService; the refusal to show, or undefined when counted. */
  private async vote(
    user: User,
    slackUser: string,
    id: string,
    vote: VoteChoice,
    comment: string | undefined,
    evidence: string,
  ): Promise<string | undefined> {
    const principal: Principal = {
      kind: 'user',
      id: user.id,
      tokenId: 'slack',
      groups: user.groups,
      admin: user.admin,
      auditor: user.auditor,
    };
    try {
      await this.deps.votes.vote(principal, id, { vote, comment, channel: 'slack', evidence });
      return undefined;
    } catch (e) {
      if (!(e instanceof CountersignError)) throw e;
      if (!alreadyAudited(e)) {
        await this.audit(e.code, 'vote_refused', { slackUser, user, id, evidence });
      }
      return EXPLAIN[e.code] ?? e.message;
    }
  }

  /** The directory user behind a Slack account; Slack being unreachable maps to nobody. */
  private async identify(slackUser: string): Promise<SlackIdentity> {
    try {
      return await this.deps.identities.resolve(slackUser);
    } catch (e) {
      this.deps.onError(e);
      return { ok: false, reason: 'Slack could not be asked who you are; try again' };
    }
  }

  /** An `api.refused` entry: the Slack account, who it mapped to (if anyone), and why. */
  private async audit(
    code: ErrorCode,
    reason: string,
    who: { slackUser?: string; team?: string; user?: User; id?: string; evidence: string },
  ): Promise<void> {
    await this.deps
      .record([
        {
          type: 'api.refused',
          actor: who.user
            ? { kind: 'user', id: who.user.id }
            : { kind: 'anonymous', id: `slack:${who.slackUser ?? 'unknown'}` },
          ...(who.id ? { request_id: who.id } : {}),
          data: {
            code,
            reason,
            channel: 'slack',
            slack_user: who.slackUser ?? null,
            slack_team: who.team ?? null,
            evidence: who.evidence,
          },
        },
      ])
      .catch(this.deps.onError);
  }

  /** An ephemeral note only `user` sees, after the acknowledgement. */
  private tell(channel: string | undefined, user: string, text: string): void {
    if (channel === undefined) return;
    this.deps.followUps.run(() => this.deps.api.postEphemeral(channel, user, text));
  }

  private link(id: string): string {
    return `${this.deps.publicUrl.replace(/\/$/, '')}/actions/${id}`;
  }
}
