import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { dialects, startGateway, type TestGateway, indexedStore } from './harness.js';
import { asSession, signIn, type WebSession } from './web-harness.js';
import type { WebTables } from '../src/storage/web-tables.js';

const bigExport = {
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 20000 },
  justification: 'quarterly churn analysis',
};

/**
 * The web inbox's sessions against a real gateway: one-time links, the cookie, CSRF, expiry,
 * forgery and logout; and that a session sees and votes on exactly what the user may.
 */
for (const dialect of await dialects()) {
  describe(`web sessions (${dialect})`, () => {
    let gw: TestGateway;
    let agent: string;
    before(async () => {
      gw = await startGateway({ dialect });
      agent = await gw.token('agent', 'exporter');
    });
    after(() => gw.close());

    const submit = async (body: unknown = bigExport) => {
      const res = await gw.call('POST', '/v1/actions', { token: agent, body });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    };
    const expireSessionsOf = (user: string) =>
      gw.gateway.storage.db
        .withTables<WebTables>()
        .updateTable('web_sessions')
        .set({ expires_at: Date.now() - 1 })
        .where('user_id', '=', user)
        .execute();

    test('a one-time link signs in once, with an HttpOnly SameSite cookie', async () => {
      const { token } = await gw.gateway.web.links.create('alice');
      const first = await gw.call('POST', '/auth/one-time', { body: { token } });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.user.id, 'alice');
      assert.match(first.body.csrf_token, /^[A-Za-z0-9_-]{43}$/);
      const setCookie = first.headers.get('set-cookie') ?? '';
      assert.match(setCookie, /^countersign_session=[A-Za-z0-9_-]{43}; /);
      for (const attribute of ['HttpOnly', 'SameSite=Lax', 'Path=/'])
        assert.ok(setCookie.includes(attribute), `${attribute} in ${setCookie}`);
      // The gateway is served over plain http here: a Secure cookie would never come back.
      assert.ok(!setCookie.includes('Secure'));
      const again = await gw.call('POST', '/auth/one-time', { body: { token } });
      assert.equal(again.status, 401);
      assert.equal(again.body.code, 'invalid_token');
      assert.match(again.body.detail, /already used/);
      // Stored hashed: the token itself is nowhere in the store.
      const rows = await gw.gateway.storage.db
        .withTables<WebTables>()
        .selectFrom('login_links')
        .selectAll()
        .execute();
      assert.ok(rows.every((r) => r.token_hash !== token && !JSON.stringify(r).includes(token)));
    });

    test("the cookie's Max-Age is the session's lifetime on the gateway's clock", async () => {
      // The gateway's clock runs a day ahead of the machine's: the cookie must still last
      // as long as the session (8 h), not 8 h plus the day.
      const ahead = await startGateway({ dialect, now: () => Date.now() + 86_400_000 });
      try {
        const { token } = await ahead.gateway.web.links.create('alice');
        const res = await ahead.call('POST', '/auth/one-time', { body: { token } });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const maxAge = Number(/Max-Age=(\d+)/.exec(res.headers.get('set-cookie') ?? '')?.[1]);
        const ttl = (Date.parse(res.body.expires_at) - Date.now() - 86_400_000) / 1000;
        assert.ok(Math.abs(maxAge - ttl) < 5, `Max-Age ${maxAge} s, session ${ttl} s`);
        assert.ok(maxAge <= 8 * 3600, `Max-Age ${maxAge} s exceeds the 8 h session`);
      } finally {
        await ahead.close();
      }
    });

    test('expired, unknown and malformed links are refused', async () => {
      const { token } = await gw.gateway.web.links.create('alice', 1);
      await new Promise((r) => setTimeout(r, 5));
      const expired = await gw.call('POST', '/auth/one-time', { body: { token } });
      assert.equal(expired.status, 401);
      assert.match(expired.body.detail, /expired/);
      const unknown = await gw.call('POST', '/auth/one-time', {
        body: { token: `csl_${randomBytes(32).toString('base64url')}` },
      });
      assert.equal(unknown.status, 401);
      assert.equal(unknown.body.code, 'invalid_token');
      const junk = await gw.call('POST', '/auth/one-time', { body: { token: "'; drop table" } });
      assert.equal(junk.status, 401);
      const extra = await gw.call('POST', '/auth/one-time', { body: { token, admin: true } });
      assert.equal(extra.status, 400);
      assert.equal(extra.body.code, 'invalid_request');
    });

    test('a sign-in posted from another site is refused, and the link stays usable', async () => {
      const { token } = await gw.gateway.web.links.create('alice');
      const res = await gw.call('POST', '/auth/one-time', {
        body: { token },
        headers: { origin: 'https://evil.example' },
      });
      assert.equal(res.status, 403);
      assert.equal(res.body.code, 'forbidden');
      assert.equal(res.body.reason, 'cross_origin');
      assert.ok(!res.headers.get('set-cookie'));
      const same = await gw.call('POST', '/auth/one-time', {
        body: { token },
        headers: { origin: gw.url },
      });
      assert.equal(same.status, 200);
    });

    test('a cookie session votes only with its CSRF token; the vote is a web vote', async () => {
      const id = await submit();
      const alice = await signIn(gw, 'alice');
      const missing = await asSession(gw, alice, 'POST', `/v1/actions/${id}/votes`, {
        body: { vote: 'approve' },
        csrf: null,
      });
      assert.equal(missing.status, 403);
      assert.equal(missing.body.code, 'forbidden');
      assert.equal(missing.body.reason, 'csrf');
      assert.equal(missing.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      const other = await signIn(gw, 'frank');
      const wrong = await asSession(gw, alice, 'POST', `/v1/actions/${id}/votes`, {
        body: { vote: 'approve' },
        csrf: other.csrf, // a real token, of another session
      });
      assert.equal(wrong.status, 403);
      assert.equal(wrong.body.reason, 'csrf');
      const none = await gw.call('GET', `/v1/actions/${id}`, { token: agent });
      assert.equal(none.body.votes.length, 0, 'refused votes change nothing');
      const ok = await asSession(gw, alice, 'POST', `/v1/actions/${id}/votes`, {
        body: { vote: 'approve', comment: 'fine' },
      });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.deepEqual(
        ok.body.votes.map((v: { user: string; channel: string }) => [v.user, v.channel]),
        [['alice', 'web']],
      );
      // Reads need no token: GET is safe.
      const read = await asSession(gw, alice, 'GET', `/v1/actions/${id}`, { csrf: null });
      assert.equal(read.status, 200);
    });

    test('a bearer token decides who calls, even with a session cookie alongside', async () => {
      const id = await submit();
      const alice = await signIn(gw, 'alice');
      const frank = await gw.token('user', 'frank');
      const res = await gw.call('POST', `/v1/actions/${id}/votes`, {
        token: frank,
        body: { vote: 'approve' },
        headers: { cookie: alice.cookie },
      });
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.votes.map((v: { user: string; channel: string }) => [v.user, v.channel]),
        [['frank', 'api']],
      );
    });

    test('forged, malformed and expired session cookies are refused (401)', async () => {
      const forged = `countersign_session=${randomBytes(32).toString('base64url')}`;
      for (const cookie of [forged, 'countersign_session=not-a-session', 'countersign_session=']) {
        const res = await gw.call('GET', '/v1/actions?status=pending', { headers: { cookie } });
        assert.equal(res.status, 401, cookie);
        assert.equal(res.body.code, 'invalid_token');
        assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      }
      const carol = await signIn(gw, 'carol');
      assert.equal((await asSession(gw, carol, 'GET', '/v1/actions')).status, 200);
      await expireSessionsOf('carol');
      const expired = await asSession(gw, carol, 'GET', '/v1/actions');
      assert.equal(expired.status, 401);
      assert.equal(expired.body.code, 'invalid_token');
      assert.match(expired.body.detail, /expired/);
      const vote = await asSession(gw, carol, 'POST', `/v1/actions/${await submit()}/votes`, {
        body: { vote: 'deny', comment: 'x' },
      });
      assert.equal(vote.status, 401);
      // The page learns it is signed out, and why; the stale cookie is cleared.
      const session = await asSession(gw, carol, 'GET', '/auth/session');
      assert.equal(session.status, 200);
      assert.equal(session.body.user, null);
      assert.match(session.body.reason, /expired/);
      assert.match(session.headers.get('set-cookie') ?? '', /^countersign_session=; .*Max-Age=0/);
    });

    test('logout needs the CSRF token and ends the session on the server', async () => {
      const alice = await signIn(gw, 'alice');
      const noToken = await asSession(gw, alice, 'POST', '/auth/logout', { csrf: null });
      assert.equal(noToken.status, 403);
      assert.equal(noToken.body.reason, 'csrf');
      const out = await asSession(gw, alice, 'POST', '/auth/logout');
      assert.equal(out.status, 204);
      assert.match(out.headers.get('set-cookie') ?? '', /Max-Age=0/);
      // The cookie may still be in some browser: the server no longer honours it.
      const later = await asSession(gw, alice, 'GET', '/v1/actions');
      assert.equal(later.status, 401);
      assert.equal(later.body.code, 'token_revoked');
      // Sign-in and sign-out are evidence in the audit log.
      const entries = await (
        await indexedStore(gw)
      )
        .selectFrom('audit_entries')
        .select(['entry', 'type'])
        .where('type', 'in', ['token.created', 'token.revoked'])
        .execute();
      const about = entries.map(
        (e) => JSON.parse(e.entry) as { type: string; data: Record<string, unknown> },
      );
      const revoked = about.find((e) => e.type === 'token.revoked' && e.data.reason === 'logout');
      assert.ok(revoked, 'logout recorded');
      const created = about.find(
        (e) => e.type === 'token.created' && e.data.token_id === revoked.data.token_id,
      );
      assert.equal(created?.type, 'token.created');
      assert.equal(created?.data.label, 'web session (one-time login link)');
    });

    test('a reviewer never sees or votes on a request they may not review (server-enforced)', async () => {
      const id = await submit();
      // mallory is in no group; carol reviews restarts, not exports; bob owns the agent.
      for (const user of ['mallory', 'carol']) {
        const s = await signIn(gw, user);
        const read = await asSession(gw, s, 'GET', `/v1/actions/${id}`);
        assert.equal(read.status, 404, `${user} reads`);
        assert.equal(read.body.code, 'not_found');
        for (const path of [`/v1/actions/${id}/timeline`, `/v1/actions/${id}/events`]) {
          const res = await asSession(gw, s, 'GET', path);
          assert.equal(res.status, 404, `${user} ${path}`);
        }
        const list = await asSession(gw, s, 'GET', '/v1/actions?status=pending');
        assert.equal(list.status, 200);
        assert.ok(!list.body.items.some((a: { id: string }) => a.id === id), `${user}'s inbox`);
        const vote = await asSession(gw, s, 'POST', `/v1/actions/${id}/votes`, {
          body: { vote: 'approve' },
        });
        assert.equal(vote.status, 403, `${user} votes`);
        assert.equal(vote.body.code, 'not_eligible');
      }
      const bob = await signIn(gw, 'bob');
      const own = await asSession(gw, bob, 'POST', `/v1/actions/${id}/votes`, {
        body: { vote: 'approve' },
      });
      assert.equal(own.status, 403);
      assert.equal(own.body.code, 'self_approval_forbidden');
      const bobs = await asSession(gw, bob, 'GET', '/v1/actions?status=pending');
      assert.ok(
        !bobs.body.items.some((a: { id: string }) => a.id === id),
        "not in the owner's inbox",
      );
      const now = await gw.call('GET', `/v1/actions/${id}`, { token: agent });
      assert.equal(now.body.status, 'pending');
      assert.equal(now.body.votes.length, 0);
      // A session is a person: agent-only routes refuse it.
      const asAgent = await asSession(gw, bob, 'POST', '/v1/actions', { body: bigExport });
      assert.equal(asAgent.status, 403);
      assert.equal(asAgent.body.code, 'forbidden');
    });

    test('the inbox stream announces new requests to those who may review them only', async () => {
      const alice = await signIn(gw, 'alice');
      const mallory = await signIn(gw, 'mallory');
      const open = async (s: WebSession) => {
        const controller = new AbortController();
        const res = await fetch(`${gw.url}/v1/inbox/events`, {
          headers: { cookie: s.cookie },
          signal: controller.signal,
        });
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
        let text = '';
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        const pump = (async () => {
          for (;;) {
            const { value, done } = await reader.read().catch(() => ({ value: '', done: true }));
            if (done) return;
            text += value;
          }
        })();
        return { text: () => text, close: () => (controller.abort(), pump) };
      };
      const a = await open(alice);
      const m = await open(mallory);
      await new Promise((r) => setTimeout(r, 100));
      const id = await submit();
      for (let i = 0; i < 50 && !a.text().includes(id); i++)
        await new Promise((r) => setTimeout(r, 20));
      assert.match(a.text(), /event: ready/);
      assert.match(
        a.text(),
        new RegExp(`event: change\\ndata: \\{"id":"${id}","status":"pending"`),
      );
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(!m.text().includes(id), 'mallory hears nothing of it');
      await a.close();
      await m.close();
    });

    test('the timeline is the request audit trail; policy and log checks are for auditors', async () => {
      const id = await submit();
      const alice = await signIn(gw, 'alice');
      await asSession(gw, alice, 'POST', `/v1/actions/${id}/votes`, {
        body: { vote: 'deny', comment: 'no DPA' },
      });
      const t = await asSession(gw, alice, 'GET', `/v1/actions/${id}/timeline`);
      assert.equal(t.status, 200);
      const types = t.body.entries.map((e: { type: string }) => e.type);
      for (const type of [
        'action.submitted',
        'action.decided_by_policy',
        'action.vote_counted',
        'action.denied',
      ])
        assert.ok(types.includes(type), `${type} in ${types.join(', ')}`);
      assert.ok(
        t.body.entries.every((e: { leaf_hash: string }) =>
          /^[A-Za-z0-9+/]{43}=$/.test(e.leaf_hash),
        ),
      );
      const agentView = await gw.call('GET', `/v1/actions/${id}/timeline`, { token: agent });
      assert.equal(agentView.status, 200, 'the requesting agent may read it too');

      assert.equal((await asSession(gw, alice, 'GET', '/v1/policy')).body.code, 'forbidden');
      assert.equal((await asSession(gw, alice, 'GET', '/v1/audit/verify')).status, 403);
      const root = await gw.token('user', 'root');
      const policy = await gw.call('GET', '/v1/policy', { token: root });
      assert.equal(policy.status, 200);
      assert.equal(policy.body.file, 'policy.yaml');
      assert.match(policy.body.version, /^sha256:/);
      const big = policy.body.rules.find((r: { id: string }) => r.id === 'prod-large-export');
      assert.equal(big.approvers, '2 of data-owners');
      assert.equal(big.when, 'params.rows > 10000');
      const verify = await gw.call('GET', '/v1/audit/verify', { token: root });
      assert.equal(verify.status, 200, JSON.stringify(verify.body));
      assert.equal(verify.body.result.ok, true);
      assert.ok(verify.body.checkpoint.size > 0);
    });

    test('pages: index.html with a strict CSP; API paths stay problem+json', async () => {
      for (const path of ['/', '/actions/act_123', '/history', '/audit', '/policy', '/login']) {
        const res = await fetch(gw.url + path);
        assert.equal(res.status, 200, path);
        assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
        const csp = res.headers.get('content-security-policy') ?? '';
        assert.match(csp, /default-src 'none'/);
        assert.match(csp, /script-src 'self'(;|$)/);
        assert.ok(!csp.includes('unsafe'), csp);
        assert.equal(res.headers.get('x-frame-options'), 'DENY');
        assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
        const html = await res.text();
        // No inline script anywhere: every <script> has a src.
        assert.ok(!/<script(?![^>]*\ssrc=)[^>]*>/i.test(html), 'no inline script');
        assert.match(html, /<div id="root">/);
      }
      const html = await (await fetch(gw.url)).text();
      const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      assert.ok(asset, 'index.html names its script');
      const js = await fetch(gw.url + asset);
      assert.equal(js.status, 200);
      assert.match(js.headers.get('cache-control') ?? '', /immutable/);
      await js.arrayBuffer(); // an unread body would hold the connection open past close()
      const missing = await gw.call('GET', '/assets/nope.js');
      assert.equal(missing.status, 404);
      const api = await gw.call('GET', '/v1/nothing-here');
      assert.equal(api.status, 404);
      assert.equal(api.body.code, 'not_found');
      assert.equal(api.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    });
  });
}
