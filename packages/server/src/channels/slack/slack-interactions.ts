import type { ActionRecord, ErrorCode, VoteChoice } from '@countersign/core';
import type { VoteService } from '../../actions/vote-service.js';
import { apiRefused, type AuditEvent } from '../../audit/audit-events.js';
import type { User } from '../../config/directory.js';
import {
  batchAnswer,
  castChatBatchVote,
  castChatVote,
  type BatchVoter,
} from '../chat/chat-ballot.js';
import { decodeBatchItems, resolveBatchItems } from '../chat/chat-batch.js';
import { BATCH_ACTION_ID, BATCH_DENY_CALLBACK_ID, batchDenyModal } from './slack-batch-blocks.js';
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
import type { SlackMetrics } from './slack-metrics.js';
import { readInteraction, str, type SlackInteraction } from './slack-payload.js';
import { SlackReplies, type ReplyTo } from './slack-replies.js';

export interface SlackInteractionDeps {
  votes: Pick<VoteService, 'vote'>;
  /** Batch decisions (actions/batch-vote-service.ts): all the listed items or none. */
  batchVotes: BatchVoter;
  find(id: string): Promise<ActionRecord | undefined>;
  identities: SlackIdentityMapper;
  api: SlackApi;
  /** Appends audit evidence (AppDeps.record): refusals answered with a 200 are recorded here. */
  record(events: AuditEvent[]): Promise<void>;
  followUps: SlackFollowUps;
  metrics: SlackMetrics;
  publicUrl: string;
  teamId: string | undefined;
  onError: (e: unknown) => void;
  /** How long a deny submission may take before the modal is closed and the answer sent apart. */
  submissionBudgetMs?: number;
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
 * or Socket Mode (an authenticated WebSocket) alike: authenticate (done by the caller) → map
 * identity → the chat ballot (castChatVote, chat/chat-ballot.ts: `VoteService.vote` with
 * `channel: 'slack'` and the payload's hash as evidence) → render its answer. The vote
 * service decides everything, step-up included.
 *
 * Slack wants every interaction acknowledged within 3 s
 * (https://docs.slack.dev/interactivity/handling-user-interaction#acknowledgment_response),
 * and a directory lookup (users.info) may take longer, so a click is acknowledged first and
 * processed afterwards; its outcome reaches the clicker ephemerally (slack-replies.ts). A deny
 * submission answers inside the ack when it can (errors keep the modal open) and otherwise
 * closes the modal and answers apart. No click is dropped without a word: a refusal is told,
 * audited and counted.
 */
export class SlackInteractions {
  readonly #replies: SlackReplies;

  constructor(private readonly deps: SlackInteractionDeps) {
    this.#replies = new SlackReplies(deps.api, deps.metrics, deps.onError);
  }

  async handle(payload: unknown, evidence: string): Promise<SlackAck> {
    const i = readInteraction(payload);
    if (i.type === 'other') return {}; // shortcuts, view_closed…: nothing of ours
    const to: ReplyTo = { channel: i.channel, user: i.user, responseUrl: i.responseUrl };
    if (i.type === 'malformed') {
      // Ids Slack never sends (a lone surrogate, a wrong shape): act on nothing, but say so.
      this.deps.metrics.failedClicks.inc({ reason: 'malformed_payload' });
      this.deps.onError(new Error(`slack: malformed interaction payload (${i.problem})`));
      await this.audit('invalid_request', 'malformed_payload', { team: i.team, evidence });
      const sorry = 'Countersign could not read this click; nothing was counted.';
      if (i.kind === 'view_submission') return { body: reasonError(sorry) };
      this.#replies.tell(to, sorry, this.deps.followUps);
      return {};
    }
    if (this.deps.teamId !== undefined && i.team !== this.deps.teamId) {
      await this.audit('forbidden', 'other_workspace', {
        slackUser: i.user,
        team: i.team,
        evidence,
      });
      if (i.type === 'view_submission') return { body: reasonError('Wrong Slack workspace.') };
      this.#replies.tell(
        to,
        'Not counted: this Slack workspace is not the one Countersign is installed in.',
        this.deps.followUps,
      );
      return {};
    }
    if (i.type === 'view_submission') return this.submission(i, to, evidence);
    this.deps.followUps.run(() =>
      this.click(i, to, evidence).catch(async (e: unknown) => {
        this.deps.metrics.failedClicks.inc({ reason: 'error' });
        this.#replies.tell(
          to,
          'Countersign could not process this click; nothing was counted. Try again.',
          this.deps.followUps,
        );
        throw e;
      }),
    );
    return {};
  }

  /** A button click, after the acknowledgement. */
  private async click(
    i: Extract<SlackInteraction, { type: 'block_actions' }>,
    to: ReplyTo,
    evidence: string,
  ): Promise<void> {
    const { deps } = this;
    const tell = (text: string) => this.#replies.tell(to, text, deps.followUps);
    const batch = BATCH_ACTION_ID.exec(i.actionId ?? '');
    if (batch) return this.batchClick(i, to, evidence, batch[1] as 'approve' | 'deny');
    const match = ACTION_ID.exec(i.actionId ?? '');
    if (!match) {
      await this.audit('invalid_request', 'unknown_action', {
        slackUser: i.user,
        team: i.team,
        evidence,
      });
      return tell('Countersign does not know this button.');
    }
    const verb = match[1] as 'approve' | 'deny' | 'open';
    const id = match[2] ?? '';
    if (verb === 'open') return; // a link button: Slack opened the web UI
    if (verb === 'deny') {
      const record = await deps.find(id);
      if (record?.status === 'pending') {
        // The reason is asked for in a modal, opened at once: its trigger_id lives 3 s. Who
        // denies is checked when the modal is submitted; that submission is the vote.
        const fallback = `Could not open the deny form; deny it in Countersign: ${this.link(id)}`;
        if (i.triggerId === undefined) return tell(fallback);
        await deps.api.openView(i.triggerId, denyModal(record, i.channel)).catch((e: unknown) => {
          deps.onError(e);
          tell(fallback);
        });
        return;
      }
    }
    if (await this.otherWorkspace(i.team)) {
      await this.audit('forbidden', 'other_workspace', {
        slackUser: i.user,
        team: i.team,
        id,
        evidence,
      });
      return tell('Not counted: this Slack workspace is not the one Countersign is installed in.');
    }
    const identity = await this.identify(i.user);
    if (!identity.ok) {
      await this.audit('forbidden', 'unmapped_slack_user', {
        slackUser: i.user,
        team: i.team,
        id,
        evidence,
      });
      return tell(`Not counted: ${identity.reason}. Ask an administrator.`);
    }
    // An approval, or a deny of a decided or unknown request: VoteService decides (and records).
    const refusal = await this.vote(identity.user, i.user, id, verb, undefined, evidence);
    tell(refusal ?? `Your approval of ${id} was counted.`);
  }

  /** A deny modal's submission: answered in the ack if it is decided in time, else apart. */
  private async submission(
    i: Extract<SlackInteraction, { type: 'view_submission' }>,
    to: ReplyTo,
    evidence: string,
  ): Promise<SlackAck> {
    if (i.callbackId === BATCH_DENY_CALLBACK_ID) return this.batchDenySubmission(i, to, evidence);
    const origin = readDenyMetadata(i.privateMetadata);
    if (i.callbackId !== DENY_CALLBACK_ID || origin === undefined) {
      await this.audit('invalid_request', 'unknown_view', {
        slackUser: i.user,
        team: i.team,
        evidence,
      });
      return {};
    }
    const reason = readDenyReason(i.state);
    if (reason === undefined) return { body: reasonError('Say why you deny it.') };
    const reply: ReplyTo = { ...to, channel: origin.channel };
    const work = (async (): Promise<string | undefined> => {
      if (await this.otherWorkspace(i.team)) {
        await this.audit('forbidden', 'other_workspace', {
          slackUser: i.user,
          team: i.team,
          id: origin.id,
          evidence,
        });
        return 'Not counted: wrong Slack workspace.';
      }
      const identity = await this.identify(i.user);
      if (!identity.ok) {
        await this.audit('forbidden', 'unmapped_slack_user', {
          slackUser: i.user,
          team: i.team,
          id: origin.id,
          evidence,
        });
        return `Not counted: ${identity.reason}.`;
      }
      return this.vote(identity.user, i.user, origin.id, 'deny', reason, evidence);
    })().catch((e: unknown) => {
      this.deps.onError(e);
      this.deps.metrics.failedClicks.inc({ reason: 'error' });
      return 'Countersign could not record your deny; try again.';
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.deps.submissionBudgetMs ?? 2000);
    });
    const first = await Promise.race([work, late]).finally(() => clearTimeout(timer));
    if (first !== 'late') {
      if (first !== undefined) return { body: reasonError(first) };
      this.#replies.tell(
        reply,
        `You denied ${origin.id}. Your reason was recorded.`,
        this.deps.followUps,
      );
      return {};
    }
    // Too slow for Slack's window: close the modal now, answer when the vote is decided.
    this.deps.followUps.run(async () => {
      const refusal = await work;
      this.#replies.tell(
        reply,
        refusal === undefined
          ? `You denied ${origin.id}. Your reason was recorded.`
          : `Your deny of ${origin.id} was not counted: ${refusal}`,
        this.deps.followUps,
      );
    });
    return {};
  }

  /**
   * **Approve all N** / **Deny all N…** (slack-batch-blocks.ts): the button's value names the
   * items the message showed; exactly those go to `voteBatch`, which decides them all or none.
   * Deny asks for a reason first, in a modal that carries the same list.
   */
  private async batchClick(
    i: Extract<SlackInteraction, { type: 'block_actions' }>,
    to: ReplyTo,
    evidence: string,
    verb: 'approve' | 'deny',
  ): Promise<void> {
    const { deps } = this;
    const tell = (text: string) => this.#replies.tell(to, text, deps.followUps);
    const items = decodeBatchItems(i.value ?? '');
    if (items === undefined || items.length < 2) {
      await this.audit('invalid_request', 'unknown_action', {
        slackUser: i.user,
        team: i.team,
        evidence,
      });
      return tell('Countersign does not know this button.');
    }
    if (verb === 'deny') {
      const fallback = `Could not open the deny form; deny them in Countersign: ${this.inbox()}`;
      if (i.triggerId === undefined) return tell(fallback);
      await deps.api
        .openView(i.triggerId, batchDenyModal(i.value ?? '', items.length, i.channel))
        .catch((e: unknown) => {
          deps.onError(e);
          tell(fallback);
        });
      return;
    }
    tell(await this.batchVote(i.user, i.team, i.value ?? '', 'approve', undefined, evidence));
  }

  /** A **Deny all N…** modal's submission: the reason is checked here, the rest answered apart. */
  private async batchDenySubmission(
    i: Extract<SlackInteraction, { type: 'view_submission' }>,
    to: ReplyTo,
    evidence: string,
  ): Promise<SlackAck> {
    let meta: unknown;
    try {
      meta = JSON.parse(i.privateMetadata ?? '');
    } catch {
      meta = undefined;
    }
    const value = str(meta, 'items');
    if (value === undefined || decodeBatchItems(value) === undefined) {
      await this.audit('invalid_request', 'unknown_view', {
        slackUser: i.user,
        team: i.team,
        evidence,
      });
      return {};
    }
    const reason = readDenyReason(i.state);
    if (reason === undefined) return { body: reasonError('Say why you deny them.') };
    const reply: ReplyTo = { ...to, channel: str(meta, 'channel') };
    this.deps.followUps.run(async () => {
      const answer = await this.batchVote(i.user, i.team, value, 'deny', reason, evidence).catch(
        (e: unknown) => {
          this.deps.onError(e);
          this.deps.metrics.failedClicks.inc({ reason: 'error' });
          return 'Countersign could not record your deny; nothing was counted. Try again.';
        },
      );
      this.#replies.tell(reply, answer, this.deps.followUps);
    });
    return {};
  }

  /** Workspace, identity, then the batch ballot; the answer to show the clicker. */
  private async batchVote(
    slackUser: string,
    team: string | undefined,
    value: string,
    vote: 'approve' | 'deny',
    comment: string | undefined,
    evidence: string,
  ): Promise<string> {
    const items = decodeBatchItems(value) ?? [];
    if (await this.otherWorkspace(team)) {
      await this.audit('forbidden', 'other_workspace', { slackUser, team, evidence });
      return 'Not counted: this Slack workspace is not the one Countersign is installed in.';
    }
    const identity = await this.identify(slackUser);
    if (!identity.ok) {
      await this.audit('forbidden', 'unmapped_slack_user', { slackUser, team, evidence });
      return `Not counted: ${identity.reason}. Ask an administrator.`;
    }
    const result = await castChatBatchVote(
      {
        channel: 'slack',
        user: identity.user,
        items: await resolveBatchItems(items, (id) => this.deps.find(id)),
        vote,
        comment,
        evidence,
      },
      {
        votes: this.deps.batchVotes,
        audit: (code) =>
          this.audit(code, 'vote_refused', { slackUser, user: identity.user, evidence }),
      },
    );
    return batchAnswer(result, vote, this.inbox());
  }

  private inbox(): string {
    return `${this.deps.publicUrl.replace(/\/$/, '')}/`;
  }

  /**
   * Without a configured `team_id`, whether the click comes from the installing workspace
   * (auth.test, asked once): after the acknowledgement, since it may call Slack.
   */
  private async otherWorkspace(team: string | undefined): Promise<boolean> {
    if (this.deps.teamId !== undefined) return false; // checked before the acknowledgement
    return team !== (await this.deps.identities.workspace());
  }

  /** One vote through the chat ballot; the refusal to show, or undefined when counted. */
  private async vote(
    user: User,
    slackUser: string,
    id: string,
    vote: VoteChoice,
    comment: string | undefined,
    evidence: string,
  ): Promise<string | undefined> {
    const result = await castChatVote(
      { channel: 'slack', user, actionId: id, vote, comment, evidence },
      {
        votes: this.deps.votes,
        audit: (code) => this.audit(code, 'vote_refused', { slackUser, user, id, evidence }),
      },
    );
    if (result.ok) return undefined;
    if (result.refused === 'step_up_required') {
      return `Not counted: this request needs approval in Countersign's web inbox: ${this.link(id)}`;
    }
    return EXPLAIN[result.refused] ?? result.message;
  }

  /** The directory user behind a Slack account; Slack being unreachable maps to nobody. */
  private async identify(slackUser: string): Promise<SlackIdentity> {
    try {
      return await this.deps.identities.resolve(slackUser);
    } catch (e) {
      this.deps.onError(e);
      this.deps.metrics.failedClicks.inc({ reason: 'directory_lookup' });
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
        apiRefused(
          who.user
            ? { kind: 'user', id: who.user.id }
            : { kind: 'anonymous', id: `slack:${who.slackUser ?? 'unknown'}` },
          who.id,
          {
            code,
            reason,
            channel: 'slack',
            slack_user: who.slackUser ?? null,
            slack_team: who.team ?? null,
            evidence: who.evidence,
          },
        ),
      ])
      .catch(this.deps.onError);
  }

  private link(id: string): string {
    return `${this.deps.publicUrl.replace(/\/$/, '')}/actions/${id}`;
  }
}
