import type { ActionView } from '../api/types';
import { fromNow, formatTime } from '../format';
import { Link } from '../router';
import { AgentText } from './agent-text';
import { keyParams } from '../key-params';
import { EnvironmentBadge, RiskBadge, StatusBadge } from './badges';
import { ParamList } from './param-list';
import { ProgressText } from './progress-text';

/**
 * One request in a list: what, where, who asked, why, the parameters that tell it apart from
 * the requests beside it (`siblings`), how risky, and how long is left. `showStatus` puts the
 * status on every card (history), not only on those no longer pending.
 */
export function ActionCard({
  action,
  now,
  siblings = [],
  showStatus = false,
}: {
  action: ActionView;
  now: number;
  siblings?: readonly ActionView[];
  showStatus?: boolean;
}) {
  const params = keyParams(action.params, {
    among: siblings.filter((s) => s.action === action.action).map((s) => s.params),
  });
  const soon =
    action.status === 'pending' &&
    action.expires_at !== null &&
    Date.parse(action.expires_at) - now < 5 * 60_000;
  return (
    <article className="card action-card" aria-labelledby={`title-${action.id}`}>
      <div className="card-head">
        <h2 className="card-title" id={`title-${action.id}`}>
          <Link to={`/actions/${action.id}`}>
            <code data-field="action">
              <AgentText text={action.action} />
            </code>{' '}
            <span className="on">on</span>{' '}
            <span className="resource" data-field="resource">
              <AgentText text={action.resource} />
            </span>
          </Link>
        </h2>
        <div className="badges">
          <RiskBadge risk={action.risk} />
          <EnvironmentBadge environment={action.environment} />
          {(showStatus || action.status !== 'pending') && <StatusBadge status={action.status} />}
        </div>
      </div>
      {action.justification && (
        <p className="justification" data-field="justification">
          “<AgentText text={action.justification} />”
        </p>
      )}
      <ParamList params={params} />
      <dl className="facts">
        <div>
          <dt>Agent</dt>
          <dd data-field="agent">
            <AgentText text={action.agent.id} />
          </dd>
        </div>
        {action.on_behalf_of && (
          <div>
            <dt>For</dt>
            <dd>
              <AgentText text={action.on_behalf_of} />
            </dd>
          </div>
        )}
        {action.progress && (
          <div>
            <dt>Approvals</dt>
            <dd>
              <ProgressText progress={action.progress} />
            </dd>
          </div>
        )}
        {action.status === 'pending' && action.expires_at !== null ? (
          <div>
            <dt>Expires</dt>
            <dd className={soon ? 'urgent' : undefined}>
              <time dateTime={action.expires_at} title={formatTime(action.expires_at)}>
                {fromNow(action.expires_at, now)}
              </time>
            </dd>
          </div>
        ) : (
          <div>
            <dt>Requested</dt>
            <dd>
              <time dateTime={action.created_at}>{formatTime(action.created_at)}</time>
            </dd>
          </div>
        )}
      </dl>
    </article>
  );
}
