import type { ModalView } from '@slack/types';
import type { ActionRecord } from '@countersign/core';
import { get, str } from './slack-payload.js';
import { SLACK_LIMITS as L } from './slack-limits.js';
import { wellFormed } from '@countersign/core';
import { label, plainText } from './slack-text.js';

export const DENY_CALLBACK_ID = 'countersign.deny';
const REASON_BLOCK = 'reason';
const REASON_INPUT = 'reason_input';
/** The API accepts comments up to 4000 characters; Slack's text input stops at 3000. */
const MAX_REASON = 3000;

/**
 * The modal a Deny click opens (views.open, https://docs.slack.dev/reference/methods/views.open):
 * a required reason, which becomes the vote's comment, so the agent and the other reviewers
 * learn why. `private_metadata` carries the request id and the conversation the click came
 * from; Slack returns it untouched in the signed view_submission.
 */
export function denyModal(record: ActionRecord, channel: string | undefined): ModalView {
  return {
    type: 'modal',
    callback_id: DENY_CALLBACK_ID,
    private_metadata: JSON.stringify({ id: record.id, channel: channel ?? null }),
    title: label('Deny request', L.modalTitle),
    submit: label('Deny', L.modalTitle),
    close: label('Cancel', L.modalTitle),
    blocks: [
      {
        type: 'section',
        // Agent text: plain_text, one line, cut to the section's limit after defusing.
        text: plainText(
          `Deny ${record.action} on ${record.resource} (${record.environment}), requested by ${record.agent_id}?`,
          L.sectionText,
        ),
      },
      {
        type: 'input',
        block_id: REASON_BLOCK,
        label: label('Reason (the agent and the other reviewers see it)', L.inputLabel),
        element: {
          type: 'plain_text_input',
          action_id: REASON_INPUT,
          multiline: true,
          min_length: 1,
          max_length: MAX_REASON,
        },
      },
    ],
  };
}

/** The request id and origin from a submitted deny modal, or undefined if they are not ours. */
export function readDenyMetadata(
  metadata: string | undefined,
): { id: string; channel: string | undefined } | undefined {
  if (metadata === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch {
    return undefined;
  }
  const id = str(parsed, 'id');
  if (id === undefined || !/^act_[0-9a-z]{1,60}$/.test(id)) return undefined;
  return { id, channel: str(parsed, 'channel') };
}

/** The reason typed into the modal (`view.state.values.reason.reason_input.value`). */
export function readDenyReason(state: unknown): string | undefined {
  const value = get(state, 'values', REASON_BLOCK, REASON_INPUT, 'value');
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  // Well-formed, so the comment can be stored, rendered and sent back to Slack.
  return wellFormed(Array.from(value).slice(0, MAX_REASON).join(''));
}

/** A view_submission answer that keeps the modal open and shows `message` under the reason. */
export function reasonError(message: string): Record<string, unknown> {
  return { response_action: 'errors', errors: { [REASON_BLOCK]: message.slice(0, 300) } };
}
