import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';
import { createGateway, resolveConfig, type ConfigFile, type Gateway } from '../src/index.js';
import { DIRECTORY, POLICY, type TestGateway } from './harness.js';

/**
 * Test helpers for the web inbox: a real OpenID Connect provider on loopback (oidc-provider,
 * with its built-in login and consent pages), a gateway configured to sign in with it, and
 * session-cookie calls.
 */

export const OIDC_CLIENT_ID = 'countersign-test';
export const OIDC_CLIENT_SECRET = 'a-client-secret-for-the-loopback-idp-only';

/** Groups the IdP asserts per login name: `ghost-group` is not in the directory and must not count. */
const IDP_GROUPS: Record<string, string[]> = {
  carol: ['data-owners', 'ghost-group'],
};

export interface TestIdp {
  issuer: string;
  /** Registers the gateway's callback; the provider exists from then on. */
  register(redirectUri: string): void;
  close(): Promise<void>;
}

/**
 * Starts an OIDC provider whose accounts are any login name: `<name>@example.com`, verified,
 * with groups from IDP_GROUPS in a `groups` claim. It listens before it is configured, so the
 * gateway (which needs the issuer) can start in between and give it the redirect URI.
 */
export async function startIdp(): Promise<TestIdp> {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => {
    if (handler) handler(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const signingKey = {
    ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
    kid: 'loopback-idp',
    use: 'sig',
  };
  return {
    issuer,
    register(redirectUri) {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: OIDC_CLIENT_ID,
            client_secret: OIDC_CLIENT_SECRET,
            redirect_uris: [redirectUri],
            grant_types: ['authorization_code'],
            response_types: ['code'],
          },
        ],
        claims: {
          openid: ['sub'],
          email: ['email', 'email_verified'],
          profile: ['name'],
          groups: ['groups'],
        },
        scopes: ['openid', 'email', 'profile', 'groups'],
        findAccount: (_ctx, sub) => ({
          accountId: sub,
          claims: () => ({
            sub,
            email: `${sub}@example.com`,
            email_verified: true,
            name: sub,
            groups: IDP_GROUPS[sub] ?? [],
          }),
        }),
        pkce: { required: () => true },
        // Our own signing key and lifetimes: fewer "development only" notices in the output.
        jwks: { keys: [signingKey] },
        ttl: {
          AccessToken: 600,
          AuthorizationCode: 60,
          IdToken: 600,
          Interaction: 600,
          Session: 600,
          Grant: 600,
        },
        cookies: { keys: ['loopback-idp-cookie-key'] },
        features: { devInteractions: { enabled: true } },
      });
      // Its own warnings (dev keys, dev interactions) are expected here.
      provider.on('server_error', (_ctx, err) => console.error('idp error', err));
      const callback = provider.callback();
      // Koa's callback returns a promise that settles when the response is done; errors are
      // answered by Koa itself, so nothing is left to await here.
      handler = (req, res) => void callback(req, res);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A free loopback port: the gateway's public URL (and so its redirect URI) needs it up front. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export interface OidcGateway {
  gateway: Gateway;
  url: string;
  idp: TestIdp;
  close(): Promise<void>;
}

/** A gateway (SQLite) that signs people in with a loopback IdP. */
export async function startOidcGateway(
  options: {
    policy?: string;
    /** A shadow policy's YAML (`policy.shadow`), written beside the policy. */
    shadowPolicy?: string;
    directory?: ConfigFile['directory'];
  } = {},
): Promise<OidcGateway> {
  const idp = await startIdp();
  const dir = mkdtempSync(join(tmpdir(), 'countersign-web-'));
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, options.policy ?? POLICY);
  const shadowFile = join(dir, 'shadow.yaml');
  if (options.shadowPolicy !== undefined) writeFileSync(shadowFile, options.shadowPolicy);
  const port = await freePort();
  const config = resolveConfig(
    {
      server: {
        host: '127.0.0.1',
        port,
        log_level: 'silent',
        public_url: `http://127.0.0.1:${port}`,
      },
      data_dir: join(dir, 'data'),
      scheduler: { tick_ms: 50 },
      directory: options.directory ?? DIRECTORY,
      policy:
        options.shadowPolicy === undefined ? policyFile : { file: policyFile, shadow: shadowFile },
      oidc: {
        issuer: idp.issuer,
        client_id: OIDC_CLIENT_ID,
        scopes: ['openid', 'email', 'profile', 'groups'],
        groups_claim: 'groups',
      },
    },
    dir,
    { OIDC_CLIENT_SECRET },
  );
  const gateway = await createGateway(config, { pollMs: 200 });
  const url = await gateway.listen();
  idp.register(`${config.server.publicUrl}/auth/callback`);
  return {
    gateway,
    url,
    idp,
    async close() {
      await gateway.close();
      await idp.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface WebSession {
  user: string;
  /** `name=value`, for a Cookie header. */
  cookie: string;
  csrf: string;
}

/** Signs a user in the way the demo does (a one-time link), without a browser. */
export async function signIn(gw: TestGateway, user: string): Promise<WebSession> {
  const { token } = await gw.gateway.web.links.create(user);
  const res = await fetch(`${gw.url}/auth/one-time`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { csrf_token: string };
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return { user, cookie, csrf: body.csrf_token };
}

/** A call with a session cookie and, unless told otherwise, its CSRF token. */
export function asSession(
  gw: TestGateway,
  session: WebSession,
  method: string,
  path: string,
  options: { body?: unknown; csrf?: string | null; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { cookie: session.cookie, ...options.headers };
  const csrf = options.csrf === undefined ? session.csrf : options.csrf;
  if (csrf !== null) headers['x-csrf-token'] = csrf;
  return gw.call(method, path, { body: options.body, headers });
}
