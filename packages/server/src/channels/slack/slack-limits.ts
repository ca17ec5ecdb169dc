/**
 * Block Kit's documented limits, in characters, for the elements Countersign renders
 * (https://docs.slack.dev/reference/block-kit/blocks, .../composition-objects,
 * .../block-elements/button-element, https://docs.slack.dev/reference/methods/chat.postMessage).
 * Slack answers `invalid_blocks` to a message over any of them, and that answer is permanent:
 * the request would never reach Slack. The fake Slack in the tests enforces the same numbers.
 */
export const SLACK_LIMITS = {
  /** Blocks per message (modals: 100). */
  messageBlocks: 50,
  modalBlocks: 100,
  /** `text` of a section block. */
  sectionText: 3000,
  /** Each of at most 10 `fields` of a section block. */
  fieldText: 2000,
  sectionFields: 10,
  /** A header block's plain_text. */
  header: 150,
  /** Each text element of a context block (at most 10 elements). */
  contextText: 3000,
  contextElements: 10,
  /** A button's plain_text. */
  buttonText: 75,
  /** A confirmation dialog (https://docs.slack.dev/reference/block-kit/composition-objects/confirmation-dialog-object). */
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** action_id and block_id. */
  id: 255,
  /** A modal's title, submit and close texts. */
  modalTitle: 24,
  /** An input block's label. */
  inputLabel: 2000,
  /** The message `text` Slack truncates at 40,000; kept short, it is a notification. */
  messageText: 3000,
} as const;
