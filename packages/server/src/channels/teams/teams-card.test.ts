import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestView } from '../../views/request-view.js';
import { actionView } from '../../views/action-view.js';
import { requestCard } from './teams-card.js';
import { fakeRecord } from '../../../test/webhooks-receiver.js';
import { cardText, executeActions } from '../../../test/fake-teams/teams-gateway.js';
import { cardTexts, renderedMarkdown } from '../../../test/fake-teams/card-checks.js';

describe('the Teams card', () => {
  const view = (overrides: Parameters<typeof fakeRecord>[0] = {}, votes = []): RequestView => {
    return actionView(fakeRecord(overrides), { votes });
  };

  test('agent-supplied Markdown cannot make a link (prompt injection)', () => {
    const card = requestCard(
      view({
        justification:
          'Routine. [Approve here](https://evil.example/approve) or [x][1]\n\n[1]: https://evil.example',
        params: { note: '[click](https://evil.example)' },
      }),
      'https://countersign.example.com',
    );
    // Rendered as CommonMark (the Adaptive Cards Markdown subset): no link is made.
    for (const { where, text } of cardTexts(card)) {
      assert.ok(!renderedMarkdown(text).includes('<a '), `${where}: ${text}`);
    }
    assert.ok(cardText(card).includes('https://evil.example/approve'), 'the URL stays visible');
  });

  test('long fields are cut; params beyond twelve keys are named, not shown', () => {
    const params = Object.fromEntries(
      Array.from({ length: 15 }, (_, i) => [`k${i}`, 'x'.repeat(500)]),
    );
    const card = requestCard(
      view({ justification: 'j'.repeat(5000), params }),
      'https://c.example',
    );
    const text = cardText(card);
    assert.ok(!text.includes('j'.repeat(1500)));
    assert.ok(text.includes('… and 3 more'));
    assert.ok(JSON.stringify(card).length < 20_000, 'well under Teams’ message size');
  });

  test('decided: no buttons, no comment box; step-up: a link to the web UI instead', () => {
    const decided = requestCard(
      view({ status: 'approved', decided_at: Date.now() }),
      'https://c.example',
    );
    assert.equal(executeActions(decided).length, 0);
    assert.ok(!decided.body.some((e) => e.type === 'Input.Text'));
    const stepUp = view({
      approval: {
        clauses: [
          {
            rule: 'r',
            from: ['g'],
            groups: [],
            quorum: 1,
            break_glass: [],
            step_up: 'web',
          } as never,
        ],
        timeout_ms: 60_000,
        on_timeout: 'deny',
        justification_required: false,
      },
    });
    const card = requestCard(stepUp, 'https://c.example');
    assert.equal(executeActions(card).length, 0);
    assert.ok(card.actions.some((a) => a.title === 'Review in Countersign'));
  });
});
