import { voteEvidence, type ErrorCode } from '@countersign/core';
import type { ActionService } from '../../actions/action-service.js';
import type { VoteService } from '../../actions/vote-service.js';
import { apiRefused, type AuditEvent } from '../../audit/audit-events.js';
import type { User } from '../../config/directory.js';
import { actionView } from '../../views/action-view.js';
import {
  batchAnswer,
  castChatBatchVote,
  castChatVote,
  chatPrincipal,
  type BatchVoter,
} from '../chat/chat-ballot.js';
import { BATCH_VERBS } from './teams-batch-card.js';
import { readCardAction, type TeamsActivity } from './teams-activity.js';
import { noticeCard, requestCard, VERBS, type AdaptiveCard } from './teams-card.js';
import type { TeamsIdentityMapper } from './teams-identity.js';

/** The body of the answer to an `adaptiveCard/action` invoke (Universal Actions response). */
export interface CardActionResponse {
  statusCode: 200;
  type: 'application/vnd.microsoft.card.adaptive';
  value: AdaptiveCard;
}

export interface TeamsInvokeDeps {
  votes: VoteService;
  batchVotes: BatchVoter;
  actions: ActionService;
  identities: TeamsIdentityMapper;
  /** Evidence of refusals answered with a card (HTTP 200), group-committed. */
  record: (events: AuditEvent[]) => Promise<void>;
  publicUrl: string;
}

const ACTION_ID = /^act_[0-9a-z]{1,60}$/;

/**
 * A click on Approve or Deny (`adaptiveCard/action`, already authenticated): who clicked,
 * which request, then the vote through the chat ballot (castChatVote, shared with Slack) into
 * `VoteService`, the one code path every channel shares, so separation of duties, the quorum
 * and the race guarantees are the API's. The evidence is the SHA-256 of the raw activity. The answer is the request's card as it now stands, or,
 * when the click was not counted, the card headed by why (an unmapped account, another
 * tenant, a guest, self-approval, not a reviewer, already decided, `step_up_required`: the
 * vote service, not this handler, decides step-up with core's `channelMayApprove`); every
 * such refusal is audited.
 */
export class TeamsInvokeHandler {
  constructor(private readonly deps: TeamsInvokeDeps) {}

  async handle(
    activity: TeamsActivity,
    raw: string,
    signal: AbortSignal,
  ): Promise<CardActionResponse> {
    const evidence = voteEvidence(raw);
    const click = readCardAction(activity.value);
    const teamsUser = {
      id: activity.from.id ?? null,
      aad_object_id: activity.from.aadObjectId ?? null,
      name: activity.from.name ?? null,
    };
    const audit = (code: ErrorCode, reason: string, user?: User): Promise<void> =>
      this.deps.record([
        apiRefused(
          user
            ? { kind: 'user', id: user.id }
            : { kind: 'anonymous', id: `teams:${teamsUser.aad_object_id ?? teamsUser.id ?? '?'}` },
          click.actionId && ACTION_ID.test(click.actionId) ? click.actionId : undefined,
          {
            code,
            reason,
            channel: 'teams',
            route: '/api/messages',
            teams_user: teamsUser,
            evidence,
          },
        ),
      ]);
    const refuse = async (
      code: ErrorCode,
      reason: string,
      message: string,
    ): Promise<CardActionResponse> => {
      await audit(code, reason);
      return respond(noticeCard(message));
    };

    const batchVote =
      click.verb === BATCH_VERBS.approve
        ? 'approve'
        : click.verb === BATCH_VERBS.deny
          ? 'deny'
          : undefined;
    const vote =
      batchVote ??
      (click.verb === VERBS.approve ? 'approve' : click.verb === VERBS.deny ? 'deny' : undefined);
    if (vote === undefined || !click.actionId || !ACTION_ID.test(click.actionId)) {
      return refuse('invalid_request', 'unknown_action', 'This is not a Countersign button.');
    }
    if (click.comment === null) {
      return refuse('invalid_request', 'comment', 'The comment is too long (4000 characters).');
    }
    const id = click.actionId;
    let identity;
    try {
      identity = await this.deps.identities.resolve(activity, signal);
    } catch {
      return refuse(
        'forbidden',
        'identity_unavailable',
        'Countersign could not look up your Teams account right now; try again in a minute.',
      );
    }
    if (!identity.ok) return refuse('forbidden', 'unmapped', `Not counted: ${identity.reason}.`);
    const user = identity.user;
    if (batchVote !== undefined) {
      if (!click.items) {
        return refuse('invalid_request', 'unknown_action', 'This is not a Countersign button.');
      }
      // Exactly the items the card listed: the vote service decides them all or none.
      const result = await castChatBatchVote(
        {
          channel: 'teams',
          user,
          items: click.items,
          vote: batchVote,
          comment: click.comment,
          evidence,
        },
        { votes: this.deps.batchVotes, audit: (code) => audit(code, 'vote_refused', user) },
      );
      const answer = batchAnswer(result, batchVote, `${this.deps.publicUrl.replace(/\/$/, '')}/`);
      const now = await this.deps.actions
        .get(chatPrincipal(user, 'teams'), id)
        .catch(() => undefined);
      return respond(
        now
          ? requestCard(
              actionView(now, { votes: await this.deps.actions.votes(id) }),
              this.deps.publicUrl,
              answer,
            )
          : noticeCard(answer, ''),
      );
    }
    const notice = (message: string) => `Vote by ${user.id} not counted: ${message}`;
    const result = await castChatVote(
      { channel: 'teams', user, actionId: id, vote, comment: click.comment, evidence },
      { votes: this.deps.votes, audit: (code) => audit(code, 'vote_refused', user) },
    );
    if (result.ok) {
      return respond(
        requestCard(actionView(result.record, { votes: result.votes }), this.deps.publicUrl),
      );
    }
    if (!result.audited) return respond(noticeCard(notice(result.message)));
    // Already on record as action.vote_refused; show the request as it stands now.
    const now = await this.deps.actions
      .get(chatPrincipal(user, 'teams'), id)
      .catch(() => undefined);
    const message = notice(`${result.message}.`);
    return respond(
      now
        ? requestCard(
            actionView(now, { votes: await this.deps.actions.votes(id) }),
            this.deps.publicUrl,
            message,
          )
        : noticeCard(message),
    );
  }
}

function respond(card: AdaptiveCard): CardActionResponse {
  return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card };
}
