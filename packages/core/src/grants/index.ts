export * from './grant-claims.js';
export { readGrantClaims } from './read-grant-claims.js';
export { assertGrantBinding } from './assert-grant-binding.js';
