/**
 * The inert-text primitives live in core (text/inert-text.ts), one set of rules for the
 * gateway's channels, the CLI and their tests; re-exported here for the channel renderers.
 * @module
 */
export {
  LINE_BREAK_MARK,
  cutCodePoints,
  cutUtf16,
  inertLine,
  inertLines,
  oneLine,
  stripBidi,
  wellFormed,
} from '@countersign/core';
