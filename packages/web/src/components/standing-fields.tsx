import { useId } from 'react';
import type { ActionView, StandingLimits } from '../api/types';
import { formatDuration, formatTime } from '../format';
import { durationChoices } from '../standing-scope';
import { AgentText } from './agent-text';

/** What the reviewer chose in the approve form's standing section. */
export interface StandingChoice {
  kind: 'digest' | 'condition';
  uses: string;
  when: string;
  for: string;
  maxUses: string;
}

export const MAX_WHEN_LENGTH = 1024;

/** A whole number in 1..max, or undefined. */
export function wholeNumber(text: string, max: number): number | undefined {
  if (!/^\d{1,9}$/.test(text.trim())) return undefined;
  const n = Number(text.trim());
  return n >= 1 && n <= max ? n : undefined;
}

/** Why the choice cannot be sent, in words, or null when it can. */
export function choiceProblem(choice: StandingChoice, limits: StandingLimits): string | null {
  if (choice.kind === 'digest') {
    return wholeNumber(choice.uses, limits.max_uses) === undefined
      ? `Say how many more times: a whole number from 1 to ${limits.max_uses}.`
      : null;
  }
  if (choice.when.trim() === '') return 'Write the condition the requests must meet.';
  if (choice.when.length > MAX_WHEN_LENGTH)
    return `The condition is too long (at most ${MAX_WHEN_LENGTH} characters).`;
  if (wholeNumber(choice.maxUses, limits.max_uses) === undefined)
    return `Say how many requests at most: a whole number from 1 to ${limits.max_uses}.`;
  return null;
}

/** The `standing` member of the vote's body (docs/api.md). */
export function standingBody(choice: StandingChoice): Record<string, string | number> {
  if (choice.kind === 'digest') return { uses: Number(choice.uses.trim()) };
  return { when: choice.when.trim(), for: choice.for, max_uses: Number(choice.maxUses.trim()) };
}

/** A compact policy duration (`1d4h`), the syntax the API reads. */
function apiDuration(ms: number): string {
  return formatDuration(ms).replace(/\s+/g, '');
}

/**
 * The opt-in "also approve the same kind of action" fields: this exact action N more times,
 * or requests meeting a CEL condition for a while; then, in plain words, what it will do.
 */
export function StandingFields({
  action,
  limits,
  choice,
  onChange,
  now,
}: {
  action: ActionView;
  limits: StandingLimits;
  choice: StandingChoice;
  onChange: (c: StandingChoice) => void;
  now: number;
}) {
  const id = useId();
  const choices = durationChoices(limits.max_ms);
  if (!choices.some((c) => c.ms === limits.max_ms))
    choices.push({ value: apiDuration(limits.max_ms), ms: limits.max_ms });
  const set = (k: keyof StandingChoice) => (e: { target: { value: string } }) =>
    onChange({ ...choice, [k]: e.target.value });
  const lasts =
    choice.kind === 'digest'
      ? limits.max_ms
      : (choices.find((c) => c.value === choice.for)?.ms ?? limits.max_ms);
  const until = new Date(now + lasts).toISOString();
  const clauses = action.approval?.clauses ?? [];
  const needed = clauses.reduce((n, c) => n + c.quorum, 0);
  const quorum = clauses.map((c) => `${c.quorum} of ${c.from.join(' or ')}`).join(' and ');

  return (
    <fieldset className="standing-fields">
      <legend className="visually-hidden">Standing approval</legend>
      <div className="field radio">
        <input
          type="radio"
          id={`${id}-digest`}
          name={`${id}-kind`}
          checked={choice.kind === 'digest'}
          onChange={() => onChange({ ...choice, kind: 'digest' })}
        />
        <label htmlFor={`${id}-digest`}>This exact action, more times</label>
      </div>
      <div className="field radio">
        <input
          type="radio"
          id={`${id}-condition`}
          name={`${id}-kind`}
          checked={choice.kind === 'condition'}
          onChange={() => onChange({ ...choice, kind: 'condition' })}
        />
        <label htmlFor={`${id}-condition`}>Requests that meet a condition, for a while</label>
      </div>

      {choice.kind === 'digest' ? (
        <div className="field">
          <label htmlFor={`${id}-uses`}>How many more times (at most {limits.max_uses})</label>
          <input
            id={`${id}-uses`}
            type="number"
            inputMode="numeric"
            min={1}
            max={limits.max_uses}
            value={choice.uses}
            onChange={set('uses')}
          />
        </div>
      ) : (
        <>
          <div className="field">
            <label htmlFor={`${id}-when`}>
              Condition (CEL over the request; edit it to what you mean)
            </label>
            <textarea
              id={`${id}-when`}
              className="code-input"
              value={choice.when}
              rows={3}
              maxLength={MAX_WHEN_LENGTH}
              spellCheck={false}
              autoCapitalize="off"
              autoCorrect="off"
              onChange={set('when')}
            />
          </div>
          <div className="field-row">
            <div className="field">
              <label htmlFor={`${id}-for`}>For how long</label>
              <select id={`${id}-for`} value={choice.for} onChange={set('for')}>
                {choices.map((c) => (
                  <option key={c.value} value={c.value}>
                    {formatDuration(c.ms)}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={`${id}-max`}>At most (requests)</label>
              <input
                id={`${id}-max`}
                type="number"
                inputMode="numeric"
                min={1}
                max={limits.max_uses}
                value={choice.maxUses}
                onChange={set('maxUses')}
              />
            </div>
          </div>
        </>
      )}

      <div className="standing-summary notice" data-standing-summary="">
        <p>
          If you approve, you also approve{' '}
          {choice.kind === 'digest' ? (
            <>
              <strong>this exact action</strong> (the same parameters) up to{' '}
              <strong>{choice.uses.trim() || '?'} more times</strong>
            </>
          ) : (
            <>
              up to <strong>{choice.maxUses.trim() || '?'} requests</strong> that meet the condition
              above
            </>
          )}
          :{' '}
          <code>
            <AgentText text={action.action} />
          </code>{' '}
          by agent{' '}
          <span data-field="agent">
            <AgentText text={action.agent.id} />
          </span>{' '}
          in{' '}
          <span data-field="environment">
            <AgentText text={action.environment} />
          </span>
          , decided by the same rules ({action.rules.join(', ')}), for{' '}
          <strong>{formatDuration(lasts)}</strong> (until{' '}
          <time dateTime={until}>{formatTime(until)}</time>).
        </p>
        <p>
          {needed > 1 ? (
            <>
              It stands for this request&apos;s quorum ({quorum}): it is only a proposal, and
              approves nothing, until other eligible reviewers endorse it on the Standing approvals
              page.
            </>
          ) : (
            <>It stands for this request&apos;s quorum ({quorum}) and takes effect at once.</>
          )}{' '}
          Each use is recorded in the audit log under its name; you, and any reviewer for these
          rules, can revoke it in one click. A change to the rules ends it.
        </p>
      </div>
    </fieldset>
  );
}
