/**
 * The web inbox's server side: sign-in (OIDC, one-time links), cookie sessions with CSRF
 * protection, and the static pages. See docs/web.md.
 * @module
 */
export { createWebAuth, DEFAULT_WEB_SETTINGS, type WebAuth } from './web-auth.js';
export { webPlugin, type WebDeps } from './web-plugin.js';
export { defaultWebAssetsDir } from './web-assets.js';
export { CSRF_HEADER, type SessionAuthenticator } from './cookie-sessions.js';
export { SPA_PATHS } from './spa-routes.js';
export type { WebSettings, OidcSettings } from './web-settings.js';
