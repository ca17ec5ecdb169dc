import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import type { Evaluation, JsonObject, JsonValue } from '../api/types';
import { DecisionBadge } from './badges';
import { Explanation } from './explanation';
import { ProblemMessage } from './problem-message';

interface Form {
  agent: string;
  action: string;
  resource: string;
  environment: string;
  params: string;
  justification: string;
  risk: string;
}

const START: Form = {
  agent: '',
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: '{\n  "rows": 50000\n}',
  justification: '',
  risk: '',
};

/** A dry run over POST /v1/policy/evaluate: nothing is recorded as a request. */
export function PolicySimulator() {
  const [form, setForm] = useState<Form>(START);
  const [paramsError, setParamsError] = useState<string | null>(null);
  const [result, setResult] = useState<Evaluation | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const set = (k: keyof Form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [k]: e.target.value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    let params: JsonValue;
    try {
      params = JSON.parse(form.params === '' ? '{}' : form.params) as JsonValue;
      if (typeof params !== 'object' || params === null || Array.isArray(params))
        throw new Error('params must be a JSON object');
      setParamsError(null);
    } catch (err) {
      setParamsError((err as Error).message);
      return;
    }
    const body: JsonObject = { action: form.action.trim(), resource: form.resource.trim(), params };
    if (form.environment.trim()) body.environment = form.environment.trim();
    if (form.agent.trim()) body.agent = form.agent.trim();
    if (form.justification.trim()) body.justification = form.justification.trim();
    if (form.risk) body.risk = form.risk;
    setBusy(true);
    setError(null);
    try {
      setResult(await api<Evaluation>('/v1/policy/evaluate', { method: 'POST', body }));
    } catch (err) {
      setError(err);
      setResult(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <form className="simulator" onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor="s-action">Action</label>
          <input id="s-action" required value={form.action} onChange={set('action')} />
        </div>
        <div className="field">
          <label htmlFor="s-resource">Resource</label>
          <input id="s-resource" required value={form.resource} onChange={set('resource')} />
        </div>
        <div className="field">
          <label htmlFor="s-env">Environment</label>
          <input id="s-env" value={form.environment} onChange={set('environment')} />
        </div>
        <div className="field">
          <label htmlFor="s-agent">As agent</label>
          <input id="s-agent" value={form.agent} onChange={set('agent')} placeholder="anonymous" />
        </div>
        <div className="field wide">
          <label htmlFor="s-params">Params (JSON)</label>
          <textarea
            id="s-params"
            rows={4}
            spellCheck={false}
            value={form.params}
            onChange={set('params')}
            aria-invalid={paramsError !== null}
            aria-describedby={paramsError ? 's-params-error' : undefined}
          />
          {paramsError && (
            <p className="field-error" id="s-params-error" role="alert">
              {paramsError}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="s-just">Justification</label>
          <input id="s-just" value={form.justification} onChange={set('justification')} />
        </div>
        <div className="field">
          <label htmlFor="s-risk">Risk</label>
          <select id="s-risk" value={form.risk} onChange={set('risk')}>
            <option value="">not stated</option>
            <option value="low">low</option>
            <option value="medium">medium</option>
            <option value="high">high</option>
            <option value="critical">critical</option>
          </select>
        </div>
        <div className="field actions">
          <button type="submit" className="button" disabled={busy}>
            {busy ? 'Evaluating…' : 'Evaluate'}
          </button>
        </div>
      </form>
      <ProblemMessage error={error} />
      {result && (
        <div className="simulation" role="status" aria-live="polite">
          <p>
            <DecisionBadge decision={result.decision} /> {result.reason}
          </p>
          <Explanation trace={result.explanation} />
          <pre className="json" tabIndex={0} aria-label="Explanation text">
            {result.explanation_text}
          </pre>
        </div>
      )}
    </>
  );
}
