/**
 * `@countersign/core/text`: the inert-text rules alone, with no dependency, for the web
 * inbox's bundle (the rest of core brings the policy engine, which a browser does not need).
 * @module
 */
export * from './inert-text.js';
