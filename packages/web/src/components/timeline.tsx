import type { TimelineEntry } from '../api/types';
import { formatTime } from '../format';
import { inertLine } from '@countersign/core/text';
import { JsonBlock } from './json-block';

const LABEL: Record<string, string> = {
  'action.submitted': 'Submitted',
  'action.decided_by_policy': 'Decided by policy',
  'action.notified': 'Notification sent',
  'action.vote_counted': 'Vote counted',
  'action.vote_refused': 'Vote refused',
  'action.escalated': 'Escalated',
  'action.approved': 'Approved',
  'action.denied': 'Denied',
  'action.expired': 'Expired',
  'action.cancelled': 'Cancelled',
  'action.result_reported': 'Result reported',
  'grant.issued': 'Grant issued',
  'grant.redeemed': 'Grant redeemed',
  'authzen.evaluated': 'AuthZEN evaluation',
  'api.refused': 'API call refused',
  'standing_approval.proposed': 'Standing approval proposed',
  'standing_approval.endorsed': 'Standing approval endorsed',
  'standing_approval.activated': 'Standing approval active',
  'standing_approval.used': 'Standing approval used',
  'standing_approval.revoked': 'Standing approval revoked',
};

function summary(e: TimelineEntry): string {
  const d = e.data;
  // Audit data quotes agents and reviewers: each value one inert line.
  const text = (k: string) => (typeof d[k] === 'string' ? inertLine(d[k]) : undefined);
  const names = (k: string) => {
    const v = d[k];
    if (!Array.isArray(v)) return undefined;
    return inertLine(v.filter((u): u is string => typeof u === 'string').join(', ')) || undefined;
  };
  switch (e.type) {
    case 'action.vote_counted':
    case 'action.vote_refused':
      return [
        text('vote'),
        text('code'),
        text('comment') && `“${text('comment')}”`,
        text('channel') && `via ${text('channel')}`,
      ]
        .filter(Boolean)
        .join(' · ');
    case 'action.decided_by_policy':
      return [text('decision'), text('reason')].filter(Boolean).join(': ');
    case 'action.notified':
      return [text('target'), text('status')].filter(Boolean).join(' · ');
    case 'authzen.evaluated':
      return [d.decision === true ? 'permitted' : 'not permitted', text('reason')]
        .filter(Boolean)
        .join(': ');
    case 'standing_approval.proposed':
    case 'standing_approval.activated':
      return [text('standing_approval'), names('endorsers') && `endorsed by ${names('endorsers')}`]
        .filter(Boolean)
        .join(' · ');
    case 'standing_approval.endorsed':
      return [text('standing_approval'), text('user'), text('channel') && `via ${text('channel')}`]
        .filter(Boolean)
        .join(' · ');
    case 'standing_approval.used':
      return [
        text('standing_approval'),
        typeof d.use === 'number' && typeof d.max_uses === 'number'
          ? `use ${d.use} of ${d.max_uses}`
          : undefined,
        names('endorsers') && `endorsed by ${names('endorsers')}`,
      ]
        .filter(Boolean)
        .join(' · ');
    case 'standing_approval.revoked':
      return [
        text('standing_approval'),
        text('by') && `by ${text('by')}`,
        text('reason') && `“${text('reason')}”`,
      ]
        .filter(Boolean)
        .join(' · ');
    default:
      return text('reason') ?? '';
  }
}

/** The request's audit entries: each step as the tamper-evident log recorded it. */
export function Timeline({ entries }: { entries: TimelineEntry[] }) {
  if (entries.length === 0) return <p className="muted">No audit entries yet.</p>;
  return (
    <ol className="timeline">
      {entries.map((e) => (
        <li key={e.index}>
          <div className="timeline-head">
            <strong>{LABEL[e.type] ?? e.type}</strong>{' '}
            <span className="muted">
              by {e.actor.kind} {e.actor.id} · <time dateTime={e.at}>{formatTime(e.at, true)}</time>{' '}
              · entry #{e.index}
            </span>
          </div>
          {summary(e) && <div className="timeline-summary">{summary(e)}</div>}
          <details>
            <summary>Entry data</summary>
            <JsonBlock value={e.data} label={`Audit entry ${e.index} data`} />
            <p className="muted small">
              Leaf hash <code className="break">{e.leaf_hash}</code>
            </p>
          </details>
        </li>
      ))}
    </ol>
  );
}
