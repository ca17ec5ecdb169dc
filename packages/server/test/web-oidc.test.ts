import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, resolveConfig, type ConfigFile } from '../src/index.js';
import { DIRECTORY, indexedStore } from './harness.js';
import { OIDC_CLIENT_ID, startOidcGateway, type OidcGateway } from './web-harness.js';

/**
 * Single sign-on without a browser: what the gateway sends to the IdP, and how it refuses a
 * callback that is not the one it is waiting for. (The whole flow, through the IdP's pages, is
 * in web-browser.test.ts.)
 */
describe('web single sign-on (OIDC)', () => {
  let gw: OidcGateway;
  before(async () => {
    gw = await startOidcGateway();
  });
  after(() => gw.close());

  const get = (path: string, cookie?: string) =>
    fetch(gw.url + path, { redirect: 'manual', headers: cookie ? { cookie } : {} });

  test('login redirects to the IdP with PKCE (S256), state and nonce, bound to this browser', async () => {
    assert.deepEqual(await (await get('/auth/config')).json(), { sso: true, login_links: true });
    const res = await get('/auth/login?return_to=/history');
    assert.equal(res.status, 302);
    const to = new URL(res.headers.get('location') ?? '');
    assert.equal(to.origin, gw.idp.issuer);
    const q = to.searchParams;
    assert.equal(q.get('client_id'), OIDC_CLIENT_ID);
    assert.equal(q.get('response_type'), 'code');
    assert.equal(q.get('redirect_uri'), `${gw.url}/auth/callback`);
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.match(q.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.ok(q.get('nonce'));
    assert.deepEqual(q.get('scope')?.split(' '), ['openid', 'email', 'profile', 'groups']);
    const cookie = res.headers.get('set-cookie') ?? '';
    assert.match(
      cookie,
      /^countersign_oidc=([^;]+); Path=\/; HttpOnly; SameSite=Lax; Max-Age=600$/,
    );
    assert.equal(cookie.split(';')[0]?.split('=')[1], q.get('state'));
  });

  test('a callback whose state this browser did not start is refused, and recorded', async () => {
    const start = await get('/auth/login');
    const state = new URL(start.headers.get('location') ?? '').searchParams.get('state') ?? '';
    const stateCookie = (start.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    // No cookie (another browser, a forged link), or the cookie of another sign-in.
    for (const cookie of [undefined, 'countersign_oidc=someone-elses-state']) {
      const res = await get(`/auth/callback?code=abc&state=${state}`, cookie);
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), '/login?error=state_mismatch');
      assert.ok(!(res.headers.get('set-cookie') ?? '').includes('countersign_session='));
    }
    // The right browser, but a code the IdP never issued: the IdP's answer is a refusal too,
    // and the state is spent either way.
    const bad = await get(`/auth/callback?code=forged&state=${state}`, stateCookie);
    assert.equal(bad.headers.get('location'), '/login?error=idp_error');
    const replay = await get(`/auth/callback?code=forged&state=${state}`, stateCookie);
    assert.equal(replay.headers.get('location'), '/login?error=expired');
    const refused = await (
      await indexedStore(gw)
    )
      .selectFrom('audit_entries')
      .select('entry')
      .where('type', '=', 'api.refused')
      .execute();
    assert.ok(
      refused.some((r) => r.entry.includes('/auth/callback')),
      'refusals are evidence',
    );
  });

  test('the IdP saying no (access_denied) sends the person back to sign-in', async () => {
    const start = await get('/auth/login');
    const state = new URL(start.headers.get('location') ?? '').searchParams.get('state') ?? '';
    const stateCookie = (start.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const res = await get(
      `/auth/callback?error=access_denied&state=${state}&iss=${encodeURIComponent(gw.idp.issuer)}`,
      stateCookie,
    );
    assert.equal(res.headers.get('location'), '/login?error=idp_error');
  });
});

describe('web configuration', () => {
  const base: ConfigFile = { directory: DIRECTORY, policy: 'policy.yaml' };
  const problems = (raw: ConfigFile, env: NodeJS.ProcessEnv = {}) => {
    try {
      resolveConfig(raw, '/tmp', env);
      return [];
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.problems;
    }
  };

  test('defaults: 8h sessions, no SSO', () => {
    const config = resolveConfig(base, '/tmp', {});
    assert.equal(config.web?.sessionTtlMs, 8 * 3_600_000);
    assert.equal(config.web?.oidc, undefined);
  });

  test('the client secret comes from OIDC_CLIENT_SECRET first', () => {
    const raw = {
      ...base,
      oidc: { issuer: 'https://idp.example', client_id: 'c', client_secret: 'from-file' },
    };
    assert.equal(resolveConfig(raw, '/tmp', {}).web?.oidc?.clientSecret, 'from-file');
    const fromEnv = resolveConfig(raw, '/tmp', { OIDC_CLIENT_SECRET: 'from-env' });
    assert.equal(fromEnv.web?.oidc?.clientSecret, 'from-env');
    assert.equal(fromEnv.web?.oidc?.redirectPath, '/auth/callback');
    assert.equal(fromEnv.web?.oidc?.matchUsersBy, 'email');
  });

  test('refused: a plain-http issuer off loopback, no openid scope, sessions too short or long', () => {
    const http = problems({ ...base, oidc: { issuer: 'http://idp.example', client_id: 'c' } });
    assert.ok(
      http.some((p) => /must be https/.test(p)),
      http.join('\n'),
    );
    const loopback = problems({ ...base, oidc: { issuer: 'http://127.0.0.1:9', client_id: 'c' } });
    assert.deepEqual(loopback, []);
    const scopes = problems({
      ...base,
      oidc: { issuer: 'https://idp.example', client_id: 'c', scopes: ['email'] },
    });
    assert.ok(scopes.some((p) => /openid/.test(p)));
    for (const ttl of ['1m', '30d', 'soon'])
      assert.ok(
        problems({ ...base, web: { session_ttl: ttl } }).some((p) => /session_ttl/.test(p)),
      );
  });
});
