import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from 'playwright-core';
import { HOSTILE_PARAMS, HOSTILE_STRINGS } from '@countersign/core';
import { startOidcGateway, type OidcGateway } from './web-harness.js';

/**
 * The web inbox in a real browser: Debian's Chromium driven by Playwright, against a real
 * gateway and a real OpenID Connect provider on loopback. Screenshots go to docs/img/ when
 * COUNTERSIGN_SCREENSHOTS=1 (`npm run screenshots`), to a temporary directory otherwise.
 */
const CHROMIUM = process.env.COUNTERSIGN_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) {
  const message =
    `\n${'!'.repeat(78)}\n! Browser tests need Chromium at ${CHROMIUM}: apt-get install -y chromium\n` +
    `${'!'.repeat(78)}\n`;
  // In CI (.ci/run installs it) a missing browser is a failure, never a skip.
  if (process.env.CI || process.env.COUNTERSIGN_REQUIRE_BROWSER) throw new Error(message);
  console.error(
    `${message}! SKIPPING the browser tests (neither CI nor COUNTERSIGN_REQUIRE_BROWSER set).\n`,
  );
}

const BIDI = /[\u202A-\u202E\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROLS = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROLS_BUT_LF = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u2028\u2029]/;

const SHOTS = process.env.COUNTERSIGN_SCREENSHOTS
  ? fileURLToPath(new URL('../../../../docs/img/', import.meta.url))
  : mkdtempSync(join(tmpdir(), 'countersign-shots-'));

const POLICY = `version: 1
defaults:
  decision: deny
  approval: { timeout: 30m, on_timeout: deny }
redact: [params.password]
rules:
  - id: prod-large-export
    description: Large production exports need a data owner
    match: { action: db.export, environment: production }
    when: params.rows > 10000
    require_approval: { from: [data-owners], quorum: 1, justification: required }
  - id: small-export
    description: Small exports run without approval
    match: { action: db.export }
    when: params.rows <= 10000
    decision: allow
  - id: restarts
    description: Production restarts need on-call or a data owner
    match: { action: k8s.rollout.restart, environment: production }
    require_approval: { from: [sre-oncall, data-owners], timeout: 20m }
  - id: privilege-grant
    description: Role grants need security and a data owner
    match: { action: iam.role.grant }
    require_approval:
      from: [{ group: security, min: 1 }, { group: data-owners, min: 1 }]
      justification: required
  - id: never-drop-prod
    match: { action: "db.ddl.*", environment: production }
    decision: deny
    reason: Agents never run DDL on production
`;

const bigExport = {
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 50000, columns: ['id', 'email', 'plan', 'churned_at'], format: 'parquet' },
  justification: 'Churn analysis for the Q3 board deck (ticket OPS-1234)',
  risk: 'high',
  on_behalf_of: 'frank',
  context: { ticket: 'OPS-1234', model: 'support-copilot-v3' },
};

describe('web inbox in Chromium', { skip: !available }, () => {
  let gw: OidcGateway;
  let browser: Browser;
  let agent: string;
  const cspViolations: string[] = [];

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // The shadow lets production restarts through: the restart submitted below disagrees.
    gw = await startOidcGateway({
      policy: POLICY,
      shadowPolicy: POLICY.replace(
        'require_approval: { from: [sre-oncall, data-owners], timeout: 20m }',
        'decision: allow',
      ),
    });
    agent = (await gw.gateway.tokens.create('agent', 'exporter')).token;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // Playwright starts it headless with a fresh profile (its own --user-data-dir). These keep
      // it off the network (the machine has none) and working as root in a container.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await gw?.close();
  });

  const api = async (method: string, path: string, body?: unknown, token = agent) => {
    const res = await fetch(gw.url + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const submit = async (body: unknown) => {
    const res = await api('POST', '/v1/actions', body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id as string;
  };

  /** A browser context (a fresh cookie jar) with the CSP watch on. */
  const context = async (
    viewport = { width: 1280, height: 900 },
    deviceScaleFactor = 1,
  ): Promise<BrowserContext> => {
    const ctx = await browser.newContext({ viewport, deviceScaleFactor });
    ctx.on('console', (msg) => {
      if (/Content Security Policy|Refused to (execute|load|apply)/i.test(msg.text()))
        cspViolations.push(msg.text());
    });
    return ctx;
  };

  /** Through the IdP's own login and consent pages, back to the inbox. */
  const signInWithSso = async (page: Page, login: string) => {
    await page.goto(`${gw.url}/`);
    await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
    await page.waitForURL(`${gw.idp.issuer}/**`);
    await page.locator('input[name=login]').fill(login);
    await page.locator('input[name=password]').fill('any password: this IdP is for tests');
    await page.locator('button[type=submit]').click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${gw.url}/**`);
  };

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });

  /** The page is no wider than the window: long agent text wrapped inside its field. */
  const assertNoSidewaysScroll = async (page: Page, where: string) => {
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    assert.ok(overflow <= 0, `${where}: no sideways scrolling (overflow ${overflow}px)`);
  };

  /** The key parameters shown in a scope, as `{ key: value }` (dt and dd text). */
  const keyParamsIn = (scope: Locator) =>
    scope
      .locator('[data-key-params]')
      .evaluate((dl) =>
        Object.fromEntries(
          [...dl.querySelectorAll(':scope > div')].map((d) => [
            d.querySelector('dt')?.textContent ?? '',
            d.querySelector('dd')?.textContent ?? '',
          ]),
        ),
      );

  /**
   * Each named field holds exactly one element of agent text, a <bdi> whose only child is a
   * text node: no markup, no line break, no bidi control left to obey, markers visible.
   */
  const assertInert = async (scope: Locator, fields: string[]) => {
    for (const field of fields) {
      const cells = scope.locator(`[data-field="${field}"]`);
      assert.ok((await cells.count()) > 0, `${field} is shown`);
      for (const cell of await cells.all()) {
        const found = await cell.evaluate((el) => {
          const texts = el.querySelectorAll('[data-agent-text]');
          const bdi = texts[0];
          return {
            agentTexts: texts.length,
            tag: bdi?.tagName,
            // The test's tsconfig has no DOM lib; this runs in the page.
            isolated: bdi
              ? (
                  globalThis as unknown as { getComputedStyle(e: unknown): { unicodeBidi: string } }
                ).getComputedStyle(bdi).unicodeBidi
              : '',
            childNodes: bdi ? [...bdi.childNodes].map((n) => n.nodeType) : [],
            text: bdi?.textContent ?? '',
            multiline: bdi?.classList.contains('multiline') ?? false,
          };
        });
        assert.equal(found.agentTexts, 1, field);
        assert.equal(found.tag, 'BDI', field);
        assert.equal(found.isolated, 'isolate', field);
        assert.deepEqual(found.childNodes, [3], `${field}: one text node`);
        assert.doesNotMatch(found.text, BIDI, field);
        assert.doesNotMatch(found.text, found.multiline ? CONTROLS_BUT_LF : CONTROLS, field);
        if (field === 'justification' || field === 'comment') {
          assert.match(found.text, /invoice⟨RLO⟩gpj\.exe⟨PDF⟩/, field);
          assert.match(found.text, /<script>alert\(1\)<\/script>/, `${field}: HTML as text`);
          assert.match(found.text, /\[click\]\(https:\/\/evil\.example\)/, field);
          assert.match(found.text, /nul␀bell␇esc␛\[31mred/, field);
        }
      }
    }
  };

  test('sign in with OIDC, see a request arrive live, approve it, and the agent gets its grant', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    await signInWithSso(page, 'alice');
    await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor();
    await page.getByText('Nothing to review.').waitFor();
    const cookies = await ctx.cookies();
    const session = cookies.find((c) => c.name === 'countersign_session');
    assert.ok(session, 'session cookie set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Lax');

    // The agent asks while the page is open; the page is not reloaded.
    const others = [
      await submit({
        action: 'k8s.rollout.restart',
        resource: 'k8s://prod/payments/deploy/api',
        environment: 'production',
        params: { reason: 'memory leak', replicas: 6 },
        justification: 'Pods at 97% memory since 09:40',
        risk: 'medium',
      }),
      await submit({
        action: 'iam.role.grant',
        resource: 'aws://iam/role/billing-admin',
        environment: 'production',
        params: { principal: 'svc-reporting', duration: '2h' },
        justification: 'Month-end invoice re-run',
        risk: 'critical',
      }),
    ];
    const id = await submit(bigExport);
    const waiting = api('GET', `/v1/actions/${id}/wait?timeout=30`);
    const card = page.getByRole('link', { name: /db\.export on postgres:\/\/prod\/customers/ });
    await card.waitFor({ timeout: 10_000 });
    await page.getByText('critical risk').waitFor();
    assert.equal(await page.locator('.card-list > li').count(), 3);
    await shot(page, 'web-inbox');

    await card.click();
    await page
      .getByRole('heading', { name: /db\.export on postgres:\/\/prod\/customers/ })
      .waitFor();
    // The key parameters are on the page; the full JSON is one tap away.
    assert.deepEqual(await keyParamsIn(page.locator('main .detail-summary')), {
      rows: '50000',
      format: 'parquet',
    });
    await page.getByText(/^All parameters/).click();
    await page
      .getByLabel('Parameters')
      .getByText(/"churned_at"/)
      .waitFor(); // formatted params
    await page.getByText('Decided by policy').first().waitFor(); // the timeline
    await shot(page, 'web-detail');

    await page.getByLabel(/^Comment/).fill('OK for the board deck; delete after Q3');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.locator('.page-head .badge.status-approved').waitFor();

    const decided = await waiting;
    assert.equal(decided.status, 200);
    assert.equal(decided.body.status, 'approved');
    const grant = decided.body.grant as { token: string };
    assert.match(grant.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const check = await api('POST', '/v1/grants/verify', { grant: grant.token });
    assert.equal(check.status, 200, JSON.stringify(check.body));
    assert.equal(check.body.valid, true);
    const votes = decided.body.votes as { user: string; channel: string; comment: string }[];
    assert.deepEqual(
      votes.map((v) => [v.user, v.channel]),
      [['alice', 'web']],
    );
    // The approved request has left the inbox, live.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Inbox' })
      .click();
    await page.waitForFunction("document.querySelectorAll('.card-list > li').length === 2");
    assert.deepEqual(others.length, 2);
    await ctx.close();
  });

  test('deny needs a comment; the buttons work from the keyboard', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    await signInWithSso(page, 'alice');
    const id = await submit({ ...bigExport, params: { rows: 70000 } });
    await page.goto(`${gw.url}/actions/${id}`);
    const deny = page.getByRole('button', { name: 'Deny' });
    await deny.focus();
    await page.keyboard.press('Enter');
    await page.getByText('Say why you deny it').waitFor();
    const focused = await page.evaluate<string | undefined>('document.activeElement?.tagName');
    assert.equal(focused, 'TEXTAREA', 'focus moves to the comment');
    await page.keyboard.type('No DPA with the analytics vendor');
    await deny.focus();
    await page.keyboard.press('Space');
    await page.locator('.page-head .badge.status-denied').waitFor();
    const now = await api('GET', `/v1/actions/${id}`);
    assert.equal(now.body.status, 'denied');
    assert.match(String(now.body.reason), /No DPA/);
    await ctx.close();
  });

  test('groups from the IdP claim count when the directory has them', async () => {
    // carol is sre-oncall in the directory; the IdP says data-owners (and a group we lack).
    const id = await submit({ ...bigExport, params: { rows: 12345 } });
    const ctx = await context();
    const page = await ctx.newPage();
    await signInWithSso(page, 'carol');
    await page.goto(`${gw.url}/actions/${id}`);
    await page.getByRole('button', { name: 'Approve' }).waitFor();
    const session = await page.evaluate(async () => (await fetch('/auth/session')).json());
    assert.deepEqual((session as { user: { groups: string[] } }).user.groups, [
      'sre-oncall',
      'data-owners',
    ]);
    await ctx.close();
  });

  test('audit and policy pages for an admin, with the simulator', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    await signInWithSso(page, 'root');
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByText('Verified.').waitFor({ timeout: 15_000 });
    await page.locator('table.entries tbody tr').first().waitFor();
    await shot(page, 'web-audit');

    await page.getByRole('link', { name: 'Policy' }).click();
    await page.getByRole('heading', { name: 'prod-large-export' }).waitFor();
    await page.getByLabel('Params (JSON)').fill('{ "rows": 250000 }');
    await page.getByRole('button', { name: 'Evaluate' }).click();
    await page.locator('.simulation .badge.decision-require_approval').waitFor();
    // The shadow policy's panel: the restart it would have let through, never enforced.
    const shadow = page.locator('section.shadow-panel');
    await shadow.getByRole('heading', { name: 'Shadow policy' }).waitFor();
    await shadow.getByText('allowed-that-needed-approval: 1').waitFor();
    await shadow.locator('tbody tr', { hasText: 'k8s.rollout.restart' }).waitFor();
    await shot(page, 'web-policy');
    await ctx.close();
  });

  test('insights page: reviewer load per reviewer and per rule, for an admin', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    await signInWithSso(page, 'root');
    await page.getByRole('link', { name: 'Insights' }).click();
    await page.getByRole('heading', { name: 'Reviewer load' }).waitFor();
    // Alice approved in the first test and denied in the second: one of each, 50 %.
    const alice = page.locator('table.insights-reviewers tbody tr', { hasText: 'alice' });
    await alice.waitFor();
    assert.match(await alice.innerText(), /^alice\t1\t1\t50 %\t/);
    await page.locator('table.insights-rules', { hasText: 'prod-large-export' }).waitFor();
    await page
      .getByText(/fast approvals/)
      .first()
      .waitFor();
    await ctx.close();
  });

  test('on a phone, the facts come before the buttons; similar requests differ on their cards', async () => {
    const ids = [];
    for (const rows of [180000, 25000, 60000]) {
      ids.push(
        await submit({
          ...bigExport,
          params: { rows, columns: ['id', 'email'], format: 'csv', destination: 's3://exports' },
          justification: `Quarterly churn model refresh, run ${rows}`,
        }),
      );
    }
    const ctx = await context({ width: 390, height: 844 }, 2);
    const page = await ctx.newPage();
    await signInWithSso(page, 'alice');
    // Alike exports share a batch card (docs/web.md): each row names what sets it apart,
    // its rows; a request in the card is not listed again as a card of its own.
    for (const [i, rows] of ['180000', '25000', '60000'].entries()) {
      const row = page.locator(`[data-batch-item="${ids[i]}"]`);
      await row.waitFor();
      const shown = await keyParamsIn(row);
      assert.equal(shown['params.rows'], rows, JSON.stringify(shown));
      assert.equal(await page.locator(`article[aria-labelledby="title-${ids[i]}"]`).count(), 0);
    }
    await assertNoSidewaysScroll(page, 'inbox at 390px');

    await page.goto(`${gw.url}/actions/${ids[0]}`);
    const approve = page.getByRole('button', { name: 'Approve' });
    await approve.waitFor();
    const top = async (l: Locator) => {
      const box = await l.boundingBox();
      assert.ok(box, 'visible');
      return box;
    };
    const button = await top(approve);
    const why = await top(page.locator('main [data-field="justification"]'));
    const rows = await top(
      page.locator('main .detail-summary [data-field="param-value"]', { hasText: '180000' }),
    );
    const who = await top(page.locator('main [data-field="agent"]'));
    // Who is behind the agent: its owners, from the directory (they can never approve it).
    const owners = page.locator('main [data-field="owners"]');
    assert.equal(await owners.innerText(), 'bob');
    const owned = await top(owners);
    for (const [name, box] of Object.entries({ why, rows, who, owned })) {
      assert.ok(
        box.y + box.height <= button.y,
        `${name} (bottom ${box.y + box.height}) above Approve (top ${button.y})`,
      );
    }
    // The full parameters are one tap away, and wrap on the phone.
    const all = page.locator('pre[aria-label="Parameters"]');
    assert.equal(await all.isVisible(), false);
    await page.getByText(/^All parameters/).click();
    await all.getByText(/s3:\/\/exports/).waitFor();
    await page.getByText(/^All parameters/).click();
    await assertNoSidewaysScroll(page, 'request page at 390px');
    await shot(page, 'web-detail-phone');
    await ctx.close();
  });

  test('the inbox on a phone-sized screen, and signing out', async () => {
    await submit({ ...bigExport, params: { rows: 15000 }, risk: 'medium' });
    const ctx = await context({ width: 390, height: 844 }, 2);
    const page = await ctx.newPage();
    await signInWithSso(page, 'alice');
    await page.locator('.card-list > li').first().waitFor();
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    assert.ok(overflow <= 0, `no sideways scrolling (overflow ${overflow}px)`);
    await shot(page, 'web-inbox-phone');

    const cookie = (await ctx.cookies()).find((c) => c.name === 'countersign_session');
    assert.ok(cookie);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Countersign' }).waitFor();
    const res = await fetch(`${gw.url}/v1/actions`, {
      headers: { cookie: `${cookie.name}=${cookie.value}` },
    });
    assert.equal(res.status, 401, 'the old cookie is dead on the server');
    await ctx.close();
  });

  test('someone the directory does not know is refused after the IdP signs them in', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    await signInWithSso(page, 'zed');
    await page.waitForURL(/\/login\?error=not_in_directory/);
    await page.getByText('no Countersign user matches you').waitFor();
    assert.equal(
      (await ctx.cookies()).find((c) => c.name === 'countersign_session'),
      undefined,
    );
    await ctx.close();
  });

  test('a one-time link signs in (the demo way) and leaves no token in the address bar', async () => {
    const { token } = await gw.gateway.web.links.create('frank');
    const ctx = await context();
    const page = await ctx.newPage();
    await page.goto(`${gw.url}/login/one-time?token=${token}`);
    await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).search, '');
    const history = await page.evaluate<number>('history.length');
    await page.goBack().catch(() => undefined);
    assert.ok(!page.url().includes(token), `no token after going back (${history} entries)`);
    // The link is spent: a second browser gets a clear refusal.
    const other = await (await context()).newPage();
    await other.goto(`${gw.url}/login/one-time?token=${token}`);
    await other
      .getByRole('alert')
      .getByText(/already used/)
      .waitFor();
    await other.context().close();
    await ctx.close();
  });

  test('agent text renders inert: no links, headings, overrides or overflow on the card and the page', async () => {
    // The API refuses lone surrogates (not canonical JSON), so that string stays out.
    // Everything else but the 10 KB of `&<>` fits the 4,000-character justification; that
    // goes into params, with every hostile string also as a hostile key.
    const accepted = (name: string) => !name.startsWith('surrogates');
    const justification = Object.entries(HOSTILE_STRINGS)
      .filter(([name]) => name !== 'ampersands' && accepted(name))
      .map(([, v]) => v)
      .join(' | ');
    const params = {
      ...Object.fromEntries(Object.entries(HOSTILE_PARAMS).filter(([k]) => accepted(k))),
      rows: 1,
    };
    const id = await submit({
      action: 'iam.role.grant',
      // One unbroken 900-character word: it must wrap, not push the page sideways.
      resource: `arn:aws:iam::123456789012:role/${'x'.repeat(900)}`,
      environment: 'production',
      params,
      justification,
      context: { note: HOSTILE_STRINGS.html },
    });
    // A data owner's vote with the same text as its comment; security has not voted yet.
    const frank = (await gw.gateway.tokens.create('user', 'frank')).token;
    const voted = await api(
      'POST',
      `/v1/actions/${id}/votes`,
      { vote: 'approve', comment: justification },
      frank,
    );
    assert.equal(voted.status, 200, JSON.stringify(voted.body));

    const { token } = await gw.gateway.web.links.create('erin');
    const dialogs: string[] = [];
    for (const viewport of [
      { width: 1280, height: 900 },
      { width: 390, height: 844 },
    ]) {
      const ctx = await context(viewport);
      const page = await ctx.newPage();
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      if (viewport.width === 1280) {
        await page.goto(`${gw.url}/login/one-time?token=${token}`);
      } else {
        const again = await gw.gateway.web.links.create('erin');
        await page.goto(`${gw.url}/login/one-time?token=${again.token}`);
      }
      await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor();

      // The request is alike the role grant of the first test, still pending: it is a row of a
      // batch card. Its links are ours, its headings ours, every field one inert element.
      const single = page.locator(`article[aria-labelledby="title-${id}"]`);
      const batch = page.locator('article.batch-card', {
        has: page.locator(`[data-batch-item="${id}"]`),
      });
      await single.or(batch).waitFor();
      if ((await batch.count()) > 0) {
        const batchShape = await batch.evaluate((el) => ({
          links: [...el.querySelectorAll('a')].every((a) =>
            /^\/actions\/act_[0-9a-z]+$/.test(a.getAttribute('href') ?? ''),
          ),
          headings: el.querySelectorAll('h1, h2, h3, h4, h5, h6').length,
          foreign: el.querySelectorAll('script, img, b, strong, em, iframe, [data-agent-text] *')
            .length,
        }));
        assert.deepEqual(batchShape, { links: true, headings: 3, foreign: 0 });
        await assertInert(batch, ['action', 'resource', 'agent', 'param-key', 'param-value']);
        await assertNoSidewaysScroll(page, `inbox batch at ${viewport.width}px`);
      } else {
        const card = single;
        const cardShape = await card.evaluate((el) => ({
          links: [...el.querySelectorAll('a')].map((a) => a.getAttribute('href')),
          headings: el.querySelectorAll('h1, h2, h3, h4, h5, h6').length,
          foreign: el.querySelectorAll('script, img, b, strong, em, iframe').length,
        }));
        assert.deepEqual(cardShape, { links: [`/actions/${id}`], headings: 1, foreign: 0 });
        await assertInert(page.locator(`article[aria-labelledby="title-${id}"]`), [
          'action',
          'resource',
          'justification',
          'agent',
          'param-key',
          'param-value',
        ]);
        await assertNoSidewaysScroll(page, `inbox at ${viewport.width}px`);
      }

      // The detail page: our headings only, our links only, every field one inert element.
      await page.goto(`${gw.url}/actions/${id}`);
      await page.locator('[data-field="comment"]').waitFor();
      const main = page.locator('main');
      const shape = await main.evaluate((el) => ({
        // The vote form's heading id comes from React's useId.
        headings: [...el.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(
          (h) => `${h.tagName}:${h.id.endsWith('-legend') ? 'vote' : h.id}`,
        ),
        links: [...el.querySelectorAll('a')]
          .map((a) => a.getAttribute('href') ?? '')
          .filter((href) => !href.startsWith('/') || href.startsWith('//')),
        foreign: el.querySelectorAll('script, img, iframe, [data-agent-text] *').length,
      }));
      assert.deepEqual(shape.links, [], 'no link leaves the site');
      assert.equal(shape.foreign, 0, 'no element from agent text');
      assert.deepEqual(shape.headings, [
        'H1:',
        ...[
          'why',
          'params',
          'context',
          'policy',
          'timeline',
          'vote',
          'approval',
          'votes',
          'facts',
        ].map((h) => `H2:${h}`),
      ]);
      await assertInert(main, [
        'action',
        'resource',
        'justification',
        'comment',
        'message',
        'agent',
        'param-key',
        'param-value',
      ]);
      // The parameters block is JSON that reads back as exactly what the agent sent.
      const shown = await page.locator('pre[aria-label="Parameters"]').textContent();
      assert.deepEqual(JSON.parse(shown ?? ''), params);
      assert.doesNotMatch(shown ?? '', BIDI);
      // What the title shows, the tab shows: one line, no override.
      assert.doesNotMatch(await page.title(), /[\n\u202A-\u202E\u2066-\u2069]/);
      await assertNoSidewaysScroll(page, `request page at ${viewport.width}px`);
      if (viewport.width === 1280) await shot(page, 'web-hostile-request');
      await ctx.close();
    }
    assert.deepEqual(dialogs, [], 'no script ran');
  });

  test('a batch card: every item with what sets it apart, all or nothing, then Approve all', async () => {
    // Another agent, so this group is only these three (alike = same rules, agent, action, env).
    const deployer = (await gw.gateway.tokens.create('agent', 'deployer')).token;
    const ids: string[] = [];
    for (const rows of [11000, 22000, 33000]) {
      const res = await api(
        'POST',
        '/v1/actions',
        {
          ...bigExport,
          resource: `postgres://prod/table_${rows}`,
          // Only the first has dry_run: the others show it as absent, never blank.
          params: { rows, format: 'csv', ...(rows === 11000 ? { dry_run: true } : {}) },
          justification: `Backfill ${rows}`,
        },
        deployer,
      );
      assert.equal(res.status, 201, JSON.stringify(res.body));
      ids.push(res.body.id as string);
    }
    const { token } = await gw.gateway.web.links.create('alice');
    const ctx = await context();
    const page = await ctx.newPage();
    // Another replica's change does not reach this replica's stream (docs/web.md): block the
    // stream, so the page keeps showing the batch as loaded while an item is decided elsewhere.
    await page.route('**/v1/inbox/events', (route) => route.abort());
    await page.goto(`${gw.url}/login/one-time?token=${token}`);
    const card = page.locator('article.batch-card', {
      has: page.locator(`[data-batch-item="${ids[0]}"]`),
    });
    await card.waitFor();
    await card.getByText('3 alike requests:').waitFor();
    assert.equal(await card.locator('[data-batch-item]').count(), 3);
    for (const [i, id] of ids.entries()) {
      const shown = await keyParamsIn(card.locator(`[data-batch-item="${id}"]`));
      assert.equal(shown['params.rows'], String([11000, 22000, 33000][i]), JSON.stringify(shown));
      assert.equal(shown.justification, `Backfill ${[11000, 22000, 33000][i]}`);
      assert.equal(shown['params.dry_run'], i === 0 ? 'true' : '(absent)', JSON.stringify(shown));
      assert.equal(await page.locator(`article[aria-labelledby="title-${id}"]`).count(), 0);
    }
    const common = card.locator('dl[aria-label="The same in every request"] > div', {
      hasText: 'params.format',
    });
    assert.equal(await common.locator('dd').textContent(), 'csv');
    await shot(page, 'web-inbox-batch');

    // bob approves the first one through the API after the page loaded.
    const bob = (await gw.gateway.tokens.create('user', 'bob')).token;
    const single = await api('POST', `/v1/actions/${ids[0]}/votes`, { vote: 'approve' }, bob);
    assert.equal(single.status, 200, JSON.stringify(single.body));
    assert.equal(single.body.status, 'approved');

    await card.getByRole('button', { name: 'Approve all 3' }).click();
    await card.getByRole('button', { name: 'Yes, approve all 3' }).click();
    const alert = page.locator('.batch-changed');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Nothing was decided: 1 of the 3 requests/);
    const changed = alert.locator(`[data-changed-item="${ids[0]}"]`);
    assert.match(await changed.innerText(), /table_11000.*already decided \(now approved\)/);
    for (const id of ids.slice(1)) {
      const r = await api('GET', `/v1/actions/${id}`, undefined, bob);
      assert.equal(r.body.status, 'pending', 'nothing decided');
      assert.deepEqual(r.body.votes, [], 'no vote recorded');
    }

    // The page re-read the list: the two left form the batch now; approve them.
    const left = page.locator('article.batch-card', {
      has: page.locator(`[data-batch-item="${ids[1]}"]`),
    });
    await left.getByText('2 alike requests:').waitFor();
    assert.equal(await left.locator(`[data-batch-item="${ids[0]}"]`).count(), 0);
    await left.getByRole('button', { name: 'Approve all 2' }).click();
    await left.getByRole('button', { name: 'Yes, approve all 2' }).click();
    await page.getByText(/your vote counted on 2 requests/).waitFor();
    for (const id of ids.slice(1)) {
      const r = await api('GET', `/v1/actions/${id}`, undefined, bob);
      assert.equal(r.body.status, 'approved');
      const votes = r.body.votes as { user: string; channel: string }[];
      assert.deepEqual(
        votes.map((v) => [v.user, v.channel]),
        [['alice', 'web']],
      );
    }
    await ctx.close();
  });

  test('no page broke its Content Security Policy', () => {
    assert.deepEqual(cspViolations, []);
  });
});
