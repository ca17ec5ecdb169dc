import type { KeyParam } from '../key-params';
import { AgentText } from './agent-text';

/**
 * Key parameters as `key: value` pairs. Keys and values are the agent's text: each is one
 * inert `<bdi>` (agent-text.tsx); a value cut to fit says so, and the full JSON is one tap away.
 */
export function ParamList({ params }: { params: readonly KeyParam[] }) {
  if (params.length === 0) return null;
  return (
    <dl className="facts key-params" data-key-params="">
      {params.map((p, i) => (
        // Keys are unique in an object, but a cut key need not be: the position is the identity.
        <div key={i}>
          <dt data-field="param-key">
            <AgentText text={p.key} />
          </dt>
          <dd data-field="param-value" title={p.cut ? 'cut to fit: see all parameters' : undefined}>
            <AgentText text={p.value} />
          </dd>
        </div>
      ))}
    </dl>
  );
}
