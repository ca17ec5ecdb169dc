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
import { HOSTILE_PARAMS } from '@countersign/core';
import { startGateway, type TestGateway } from './harness.js';

/**
 * Standing approvals in the web inbox (docs/web.md, docs/fatigue.md), in a real Chromium
 * against a real gateway: created from the approve form, listed, used by a matching request,
 * revoked in one click, endorsed by a second person in another browser, and the agent's text
 * inert on the standing approvals pages.
 */
const CHROMIUM = process.env.COUNTERSIGN_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) {
  const message = `Browser tests need Chromium at ${CHROMIUM}: apt-get install -y chromium`;
  if (process.env.CI || process.env.COUNTERSIGN_REQUIRE_BROWSER) throw new Error(message);
  console.error(`${message}; SKIPPING the standing approval browser tests.`);
}

// Pictures for docs/web.md with COUNTERSIGN_SCREENSHOTS=1 (`npm run screenshots`).
const SHOTS = process.env.COUNTERSIGN_SCREENSHOTS
  ? fileURLToPath(new URL('../../../../docs/img/', import.meta.url))
  : mkdtempSync(join(tmpdir(), 'countersign-shots-'));
const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });

const BIDI = /[\u202A-\u202E\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROLS_BUT_LF = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u2028\u2029]/;

const POLICY = `version: 1
defaults:
  decision: deny
  approval: { timeout: 30m, on_timeout: deny }
rules:
  - id: prod-export
    description: Production exports need a data owner
    match: { action: db.export, environment: production }
    require_approval:
      from: [data-owners]
      standing: { max_duration: 8h, max_uses: 20 }
  - id: restarts
    description: Production restarts need two data owners
    match: { action: k8s.rollout.restart, environment: production }
    require_approval: { from: [data-owners], quorum: 2 }
`;

const exportRequest = (
  params: Record<string, unknown>,
  resource = 'postgres://prod/customers',
) => ({
  action: 'db.export',
  resource,
  environment: 'production',
  params,
  justification: 'Weekly churn extract',
  risk: 'high',
});

interface Json {
  [key: string]: unknown;
}

describe('standing approvals in Chromium', { skip: !available }, () => {
  let gw: TestGateway;
  let browser: Browser;
  let exporter: string;
  let deployer: string;
  const cspViolations: string[] = [];

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    gw = await startGateway({ policy: POLICY });
    exporter = await gw.token('agent', 'exporter');
    deployer = await gw.token('agent', 'deployer');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
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
    await gw?.gateway.close();
  });

  const submit = async (body: unknown, token = exporter): Promise<Json> => {
    const res = await gw.call('POST', '/v1/actions', { token, body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as Json;
  };

  /** A fresh browser (its own cookie jar), signed in with a one-time link, on the inbox. */
  const signIn = async (user: string): Promise<{ ctx: BrowserContext; page: Page }> => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    ctx.on('console', (msg) => {
      if (/Content Security Policy|Refused to (execute|load|apply)/i.test(msg.text()))
        cspViolations.push(msg.text());
    });
    const page = await ctx.newPage();
    const { token } = await gw.gateway.web.links.create(user);
    await page.goto(`${gw.url}/login/one-time?token=${token}`);
    await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor();
    return { ctx, page };
  };

  const toStandingPage = async (page: Page) => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Standing approvals' })
      .click();
    await page.getByRole('heading', { name: 'Standing approvals', level: 1 }).waitFor();
  };

  const card = (page: Page, id: string): Locator =>
    page.locator(`article[data-standing-id="${id}"]`);

  test('a condition from the approve form: listed, used by a matching request, revoked in one click', async () => {
    const { ctx, page } = await signIn('alice');
    const source = await submit(exportRequest({ rows: 50000, format: 'csv' }));
    await page.goto(`${gw.url}/actions/${String(source.id)}`);

    // Off by default: a plain approval unless the reviewer asks for more.
    const optIn = page.getByLabel(/Also approve the same kind of action/);
    assert.equal(await optIn.isChecked(), false);
    await optIn.check();
    await page.getByLabel('Requests that meet a condition, for a while').check();
    const when = page.getByLabel(/^Condition/);
    assert.equal(
      await when.inputValue(),
      'resource == "postgres://prod/customers" && params.rows <= 50000',
      'the suggestion: same resource, numbers at most what was asked',
    );
    await when.fill('resource == "postgres://prod/customers" && params.rows <= 20000');
    // 20000 does not cover this request's own 50000: the gateway refuses, nothing recorded.
    await page.getByRole('button', { name: 'Approve + standing approval' }).click();
    await page
      .getByRole('alert')
      .getByText(/invalid_request/)
      .waitFor();
    await page.getByText('Nothing was recorded').waitFor();
    const still = await gw.call('GET', `/v1/actions/${String(source.id)}`, { token: exporter });
    assert.equal((still.body as Json).status, 'pending');
    assert.deepEqual((still.body as Json).votes, [], 'not even the vote');

    await when.fill('resource == "postgres://prod/customers" && params.rows <= 50000');
    await page.getByLabel('For how long').selectOption('4h');
    await page.getByLabel('At most (requests)').fill('10');
    const summary = page.locator('[data-standing-summary]');
    const said = await summary.innerText();
    assert.match(said, /up to 10 requests that meet the condition/);
    assert.match(said, /db\.export by agent exporter in production/);
    assert.match(said, /for 4h/);
    assert.match(said, /takes effect at once/);
    await page.locator('.vote-form').scrollIntoViewIfNeeded();
    await shot(page, 'web-standing-form');
    await page.getByRole('button', { name: 'Approve + standing approval' }).click();
    await page.locator('.page-head .badge.status-approved').waitFor();
    const created = page.locator('[data-standing-created]');
    await created.getByText(/is active: up to 10 uses/).waitFor();
    const saId = (await created.locator('code').innerText()).trim();
    assert.match(saId, /^sa_/);

    // Listed, with its scope as code text, quorum, uses and source.
    await toStandingPage(page);
    const listed = card(page, saId);
    await listed.waitFor();
    assert.equal(
      await listed.locator('[data-field="scope"]').innerText(),
      'resource == "postgres://prod/customers" && params.rows <= 50000',
    );
    assert.match(await listed.locator('[data-standing-endorsed]').innerText(), /^1 of 1 \(alice\)/);
    assert.equal(await listed.locator('[data-standing-uses]').innerText(), '0 of 10');
    await listed.getByRole('link', { name: String(source.id) }).waitFor();
    await listed.locator('.badge.standing-active').waitFor();
    await shot(page, 'web-standing');

    // A matching request from the agent is approved at once, by the standing approval.
    const matching = await submit(exportRequest({ rows: 12000, format: 'csv' }));
    assert.equal(matching.status, 'approved', JSON.stringify(matching));
    assert.equal(matching.standing_approval_id, saId);
    // One that does not match waits for a person.
    const larger = await submit(exportRequest({ rows: 60000, format: 'csv' }));
    assert.equal(larger.status, 'pending');

    // Its detail page lists the use; the request says who approved it.
    await listed.getByRole('link', { name: /db\.export by exporter/ }).click();
    await page.getByRole('heading', { name: 'Standing approval', level: 1 }).waitFor();
    const use = page.locator(`[data-standing-use="${String(matching.id)}"]`);
    await use.waitFor();
    assert.equal(await card(page, saId).locator('[data-standing-uses]').innerText(), '1 of 10');
    await use.getByRole('link', { name: String(matching.id) }).click();
    const by = page.locator('[data-approved-by-standing]');
    await by
      .getByText(/which alice gave ahead of time .* \(used 1 of 10 times, active\)/)
      .waitFor();
    await page.getByText('None: a standing approval approved it.').waitFor();
    // Its audit trail names the standing approval and the use.
    await page.getByText(`${saId} · use 1 of 10 · endorsed by alice`).waitFor();
    await by.getByRole('link', { name: saId }).click();
    await page.getByRole('heading', { name: 'Standing approval', level: 1 }).waitFor();

    // Revoke: one click, a confirmation with an optional reason.
    await toStandingPage(page);
    await card(page, saId).getByRole('button', { name: 'Revoke' }).click();
    await card(page, saId)
      .getByLabel(/^Reason/)
      .fill('quarter closed');
    await card(page, saId).getByRole('button', { name: 'Revoke now' }).click();
    await card(page, saId).locator('.badge.standing-revoked').waitFor();
    await card(page, saId)
      .getByText(/by alice.*quarter closed/)
      .waitFor();
    assert.equal(await card(page, saId).getByRole('button', { name: 'Revoke' }).count(), 0);

    const after = await submit(exportRequest({ rows: 12000, format: 'csv', again: true }));
    assert.equal(after.status, 'pending', 'after revocation a person decides again');
    assert.equal(after.standing_approval_id ?? null, null);
    await ctx.close();
  });

  test('a critical-risk request: the gateway says standing_not_allowed and nothing is recorded', async () => {
    const { ctx, page } = await signIn('alice');
    const source = await submit({ ...exportRequest({ rows: 9 }), risk: 'critical' });
    await page.goto(`${gw.url}/actions/${String(source.id)}`);
    await page.getByLabel(/Also approve the same kind of action/).check();
    await page.getByRole('button', { name: 'Approve + standing approval' }).click();
    await page
      .getByRole('alert')
      .getByText(/critical-risk.*\(standing_not_allowed\)/)
      .waitFor();
    await page.getByText('Nothing was recorded').waitFor();
    const still = (await gw.call('GET', `/v1/actions/${String(source.id)}`, { token: exporter }))
      .body as Json;
    assert.equal(still.status, 'pending');
    assert.deepEqual(still.votes, []);
    const listed = await gw.call('GET', '/v1/standing-approvals?status=all', {
      token: await gw.token('user', 'root'),
    });
    const items = (listed.body as { items: Json[] }).items;
    assert.equal(items.filter((i) => i.source_action_id === source.id).length, 0);
    // Unticked, the same person approves the request alone.
    await page.getByLabel(/Also approve the same kind of action/).uncheck();
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await page.locator('.page-head .badge.status-approved').waitFor();
    await ctx.close();
  });

  test('this exact action N more times: used up, then a person again', async () => {
    const { ctx, page } = await signIn('frank');
    const body = exportRequest({ rows: 777, table: 'invoices' });
    const source = await submit(body);
    await page.goto(`${gw.url}/actions/${String(source.id)}`);
    await page.getByLabel(/Also approve the same kind of action/).check();
    await page.getByLabel(/^How many more times/).fill('2');
    assert.match(
      await page.locator('[data-standing-summary]').innerText(),
      /this exact action \(the same parameters\) up to 2 more times/,
    );
    await page.getByRole('button', { name: 'Approve + standing approval' }).click();
    const created = page.locator('[data-standing-created]');
    await created.getByText(/is active: up to 2 uses/).waitFor();
    const saId = (await created.locator('code').innerText()).trim();
    for (const expected of ['approved', 'approved', 'pending'])
      assert.equal((await submit(body)).status, expected);
    await toStandingPage(page);
    assert.equal(await card(page, saId).locator('[data-standing-uses]').innerText(), '2 of 2');
    await card(page, saId).getByText('used up').waitFor();
    await ctx.close();
  });

  test('quorum 2: a proposal approves nothing until a second person endorses it in another browser', async () => {
    const restart = {
      action: 'k8s.rollout.restart',
      resource: 'k8s://prod/payments/deploy/api',
      environment: 'production',
      params: { replicas: 6 },
      risk: 'medium',
    };
    const source = await submit(restart, deployer);
    const alice = await signIn('alice');
    await alice.page.goto(`${gw.url}/actions/${String(source.id)}`);
    await alice.page.getByLabel(/Also approve the same kind of action/).check();
    await alice.page.getByLabel(/^How many more times/).fill('3');
    assert.match(
      await alice.page.locator('[data-standing-summary]').innerText(),
      /stands for this request's quorum \(2 of data-owners\): it is only a proposal/,
    );
    await alice.page.getByRole('button', { name: 'Approve + standing approval' }).click();
    const created = alice.page.locator('[data-standing-created]');
    await created.getByText(/is proposed/).waitFor();
    const saId = (await created.locator('code').innerText()).trim();
    assert.equal(
      (await submit(restart, deployer)).status,
      'pending',
      'a proposal approves nothing',
    );

    // The proposer cannot endorse her own proposal; the button is not offered.
    await toStandingPage(alice.page);
    await card(alice.page, saId).waitFor();
    assert.equal(await card(alice.page, saId).getByRole('button', { name: 'Endorse' }).count(), 0);

    // The second data owner learns of it on the inbox, and endorses it from the list.
    const frank = await signIn('frank');
    await frank.page
      .locator('[data-proposed-notice]')
      .getByRole('link', { name: '1 proposed standing approval' })
      .click();
    await frank.page.getByRole('heading', { name: 'Standing approvals', level: 1 }).waitFor();
    assert.equal(await frank.page.getByLabel('Show').inputValue(), 'proposed');
    await frank.page.getByLabel('Show').selectOption('all');
    await frank.page.waitForURL(/\/standing-approvals$/);
    await frank.page.getByLabel('Show').selectOption('proposed');
    const proposed = card(frank.page, saId);
    await proposed.waitFor();
    assert.match(await proposed.locator('[data-standing-endorsed]').innerText(), /^1 of 2/);
    await proposed.getByRole('button', { name: 'Endorse' }).click();
    await proposed.locator('.badge.standing-active').waitFor();
    assert.match(
      await proposed.locator('[data-standing-endorsed]').innerText(),
      /^2 of 2 \(alice, frank\)/,
    );

    const now = await submit(restart, deployer);
    assert.equal(now.status, 'approved');
    assert.equal(now.standing_approval_id, saId);
    await alice.ctx.close();
    await frank.ctx.close();
  });

  test('agent text is inert on the standing approvals pages', async () => {
    const accepted = (k: string) => !k.startsWith('surrogates') && !k.startsWith('ampersands');
    const params = {
      ...Object.fromEntries(Object.entries(HOSTILE_PARAMS).filter(([k]) => accepted(k))),
      rows: 10,
      'odd key\n*x*': 5,
    };
    const resource =
      'postgres://prod/<b>x</b><script>alert(1)</script>[click](https://evil.example)';
    const source = await submit(exportRequest(params, resource));
    const { ctx, page } = await signIn('alice');
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${gw.url}/actions/${String(source.id)}`);
    await page.getByLabel(/Also approve the same kind of action/).check();
    await page.getByLabel('Requests that meet a condition, for a while').check();
    const when = page.getByLabel(/^Condition/);
    const suggested = await when.inputValue();
    // Escaped for CEL: what the box shows is what the gateway parses, no raw control or override.
    assert.doesNotMatch(suggested, BIDI);
    assert.match(suggested, /params\["odd key\\u000a\*x\*"\] <= 5/);
    // The reviewer adds text of their own with a bidi override in it: shown inert later.
    await when.fill(`${suggested} || params.rows == 10 && "invoice\u202Egpj.exe" != ""`);
    await page.getByRole('button', { name: 'Approve + standing approval' }).click();
    const created = page.locator('[data-standing-created]');
    await created.waitFor();
    const saId = (await created.locator('code').innerText()).trim();
    const used = await submit(exportRequest(params, resource));
    assert.equal(used.standing_approval_id, saId, 'the suggestion parsed and matched');

    // Loaded directly (a bookmark, a reload): the gateway serves the page at its own URL.
    const direct = await page.goto(`${gw.url}/standing-approvals/${saId}`);
    assert.equal(direct?.status(), 200);
    await page.getByRole('heading', { name: 'Standing approval', level: 1 }).waitFor();
    await page.locator(`[data-standing-use="${String(used.id)}"]`).waitFor();
    const main = page.locator('main');
    const shape = await main.evaluate((el) => ({
      links: [...el.querySelectorAll('a')]
        .map((a) => a.getAttribute('href') ?? '')
        .filter((href) => !href.startsWith('/') || href.startsWith('//')),
      foreign: el.querySelectorAll('script, img, iframe, b, [data-agent-text] *').length,
      headings: [...el.querySelectorAll('h1, h2, h3, h4, h5, h6')].length,
    }));
    assert.deepEqual(shape, { links: [], foreign: 0, headings: 3 });
    for (const field of [
      'scope',
      'action',
      'agent',
      'environment',
      'resource',
      'param-key',
      'param-value',
    ]) {
      const cells = main.locator(`[data-field="${field}"]`);
      assert.ok((await cells.count()) > 0, `${field} is shown`);
      for (const cell of await cells.all()) {
        const found = await cell.evaluate((el) => {
          const texts = el.querySelectorAll('[data-agent-text]');
          return {
            count: texts.length,
            tag: texts[0]?.tagName,
            nodes: texts[0] ? [...texts[0].childNodes].map((n) => n.nodeType) : [],
            text: texts[0]?.textContent ?? '',
          };
        });
        assert.equal(found.count, 1, field);
        assert.equal(found.tag, 'BDI', field);
        assert.deepEqual(found.nodes, [3], `${field}: one text node`);
        assert.doesNotMatch(found.text, BIDI, field);
        assert.doesNotMatch(found.text, CONTROLS_BUT_LF, field);
      }
    }
    assert.match(await main.locator('[data-field="scope"]').innerText(), /invoice⟨RLO⟩gpj\.exe/);
    assert.match(
      await main.locator('[data-standing-use] [data-field="resource"]').innerText(),
      /<script>alert\(1\)<\/script>/,
    );
    // On a phone, the hostile scope and uses wrap inside the page: no sideways scrolling.
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 844 });
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      assert.ok(overflow <= 0, `standing approval page at ${width}px: overflow ${overflow}px`);
    }
    assert.deepEqual(dialogs, [], 'no script ran');
    await ctx.close();
  });

  test('no page broke its Content Security Policy', () => {
    assert.deepEqual(cspViolations, []);
  });
});
