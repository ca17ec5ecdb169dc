import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { noticeCard, requestCard, type AdaptiveCard } from '../src/channels/teams/teams-card.js';
import { CARD_BUDGET_BYTES, cardBytes } from '../src/channels/teams/teams-card-size.js';
import { inert } from '../src/channels/teams/teams-text.js';
import { actionView } from '../src/views/action-view.js';
import type { RequestView } from '../src/views/request-view.js';
import { fakeRecord } from './webhooks-receiver.js';
import { HOSTILE_PARAMS, HOSTILE_STRINGS } from '@countersign/core';
import { adaptiveCardProblems, cardTexts, markdownEffects } from './fake-teams/card-checks.js';
import { MESSAGE_LIMIT_BYTES } from './fake-teams/fake-bot-framework.js';

/**
 * Issue 12, defects 4 and 6 on Teams: agent-controlled text must be inert in every card, and
 * every card must fit Teams' message size, escaped first and cut by code point.
 */
type Vote = never;

// Votes as the store returns them; the test builds them as plain objects.
const view = (
  overrides: Parameters<typeof fakeRecord>[0] = {},
  votes: unknown[] = [],
): RequestView => actionView(fakeRecord(overrides), { votes: votes as Vote });

/** No lone surrogate (String#isWellFormed is ES2024, past this project's lib). */
const wellFormed = (s: string) =>
  !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

/** The shape of a card, whatever its text: element and action types, nested, fact counts. */
function structure(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structure);
  if (!node || typeof node !== 'object') return null;
  const o = node as Record<string, unknown>;
  const out: Record<string, unknown> = { type: o.type };
  if (Array.isArray(o.facts)) out.facts = o.facts.length;
  for (const key of ['body', 'items', 'actions', 'card']) {
    if (o[key] !== undefined) out[key] = structure(o[key]);
  }
  return out;
}

function hostileView(s: string, status: 'pending' | 'approved' = 'pending', risk = 'high') {
  const votes = [
    {
      user: 'frank',
      vote: 'approve',
      comment: s,
      at: 1_700_000_000_000,
      channel: 'web',
      outcome: 'counted',
    },
  ];
  return view(
    {
      action: s,
      resource: s,
      justification: s,
      on_behalf_of: s,
      risk: risk as never,
      params: { ...HOSTILE_PARAMS, [s]: s },
      status,
      ...(status === 'approved' ? { decided_at: 1_700_000_100_000 } : {}),
    },
    votes,
  );
}

/** Every way the Teams channel renders a request, for one hostile string. */
function renderings(s: string): Array<[string, AdaptiveCard, AdaptiveCard]> {
  const benign = 'plain text';
  const url = 'https://countersign.example.com';
  return [
    ['pending, high risk', requestCard(hostileView(s), url), requestCard(hostileView(benign), url)],
    [
      'pending, low risk',
      requestCard(hostileView(s, 'pending', 'low'), url),
      requestCard(hostileView(benign, 'pending', 'low'), url),
    ],
    [
      'decided',
      requestCard(hostileView(s, 'approved'), url),
      requestCard(hostileView(benign, 'approved'), url),
    ],
    [
      'with a notice',
      requestCard(hostileView(s), url, `Vote by ${s} not counted`),
      requestCard(hostileView(benign), url, `Vote by ${benign} not counted`),
    ],
    ['notice card', noticeCard(s), noticeCard(benign)],
  ];
}

describe('Teams cards: agent text is inert (defect 4)', () => {
  for (const [name, s] of Object.entries(HOSTILE_STRINGS)) {
    test(`hostile ${name}: same structure, valid card, no Markdown, mention or line break`, () => {
      for (const [where, card, benign] of renderings(s)) {
        assert.deepEqual(adaptiveCardProblems(card), [], `${where}: the adaptivecards parser`);
        assert.deepEqual(structure(card), structure(benign), `${where}: the card's structure`);
        assert.ok(cardBytes(card) <= CARD_BUDGET_BYTES, `${where}: size`);
        assert.ok(!JSON.stringify(card).includes('"entities"'), `${where}: no mention entities`);
        for (const { where: at, text } of cardTexts(card)) {
          const label = `${where} ${at}: ${JSON.stringify(text.slice(0, 120))}`;
          assert.ok(!/[\n\r\v\f\u0085\u2028\u2029]/.test(text), `${label}: a line break`);
          assert.ok(!/[\u202a-\u202e\u2066-\u2069]/.test(text), `${label}: a bidi override`);
          assert.ok(!/(^|[^\\])<at>/i.test(text), `${label}: a mention`);
          assert.ok(wellFormed(text), `${label}: a lone surrogate`);
          // Our own bold (a voter's id) is the only emphasis a card may have.
          const effects = markdownEffects(text).filter((t) => t !== 'strong');
          assert.deepEqual(effects, [], `${label}: rendered as Markdown`);
          if (markdownEffects(text).includes('strong')) assert.ok(text.startsWith('**frank**'));
          const own = (text.match(/\{\{(DATE|TIME)\(/g) ?? []).length;
          const functions = (text.match(/\{\{/g) ?? []).length;
          assert.equal(functions, own, `${label}: an agent's text function`);
        }
      }
    });
  }

  test('an agent cannot fake an `{{DATE}}` or start a list, heading or quote at the start', () => {
    for (const s of ['- item', '+ item', '1. item', '3) item', '# h', '> q', '    code', '===']) {
      const text = inert(s, 100);
      assert.deepEqual(markdownEffects(text), [], `${s} → ${text}`);
    }
    assert.ok(!inert('{{DATE(2020-01-01T00:00:00Z)}}', 100).includes('{{'));
  });
});

describe('Teams cards: limits (defect 6)', () => {
  test('escape first, then cut by code point: never past the limit, never inside a pair', () => {
    for (const max of [2, 5, 10, 11, 64]) {
      for (const s of ['😀'.repeat(100), '*'.repeat(100), 'a😀'.repeat(50), '&<>'.repeat(50)]) {
        const out = inert(s, max);
        assert.ok([...out].length <= max, `${max}: ${out}`);
        assert.ok(wellFormed(out), `${max}: a surrogate pair cut`);
        assert.ok(out.endsWith('…'));
        assert.ok(!/(^|[^\\])(\\\\)*\\…$/.test(out), `${max}: a backslash cut from its char`);
        assert.deepEqual(markdownEffects(out), []);
      }
    }
    assert.equal(inert('😀😀', 2), '😀😀', 'what fits is not cut');
  });

  test('10 KB of &<>, every field long, many votes: the card fits and keeps its link', () => {
    const big = '&<>'.repeat(3500);
    const votes = Array.from({ length: 40 }, (_, i) => ({
      user: `user${i}`,
      vote: 'approve',
      comment: big,
      at: 1_700_000_000_000,
      channel: 'web',
      outcome: 'counted',
    }));
    const params = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`${big}${i}`, big]));
    const card = requestCard(
      view({ action: big, resource: big, justification: big, on_behalf_of: big, params }, votes),
      'https://c.example',
    );
    assert.ok(cardBytes(card) <= CARD_BUDGET_BYTES, `${cardBytes(card)} bytes`);
    const activity = { type: 'message', attachments: [{ contentType: 'x', content: card }] };
    assert.ok(Buffer.byteLength(JSON.stringify(activity)) < MESSAGE_LIMIT_BYTES);
    assert.deepEqual(adaptiveCardProblems(card), []);
    const open = card.actions.find((a) => a.type === 'Action.OpenUrl');
    assert.match(String(open?.url), /^https:\/\/c\.example\/actions\/act_test[0-9a-z]+$/);
  });

  test('a request too large for any full rendering gets the minimal card with the link', () => {
    const rules = Array.from({ length: 2000 }, (_, i) => `rule-${i}-${'x'.repeat(40)}`);
    const card = requestCard(view({ escalated_rules: rules }), 'https://c.example');
    assert.ok(cardBytes(card) <= CARD_BUDGET_BYTES);
    assert.deepEqual(adaptiveCardProblems(card), []);
    assert.ok(JSON.stringify(card).includes('too large to show in Teams'));
    assert.ok(card.actions.some((a) => a.type === 'Action.OpenUrl'));
  });
});
