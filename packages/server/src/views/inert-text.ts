/**
 * The inert-text primitives live in core (text/inert-text.ts), shared by the gateway's
 * channels, the CLI and their tests; re-exported here for the channel renderers.
 * @module
 */
export {
  LINE_BREAK_MARK,
  cutCodePoints,
  inertLine,
  oneLine,
  stripBidi,
  wellFormed,
} from '@countersign/core';
