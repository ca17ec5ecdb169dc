import type { FastifyBaseLogger } from 'fastify';
import { actionNotified } from '../audit/audit-events.js';
import type { RecordEvidence } from '../audit/evidence-recorder.js';
import type { Metrics } from '../metrics/metrics.js';
import type { DeliveryOutcome } from './delivery-worker.js';

/**
 * What happens to each settled delivery attempt: counted, recorded in the audit log
 * (`action.notified`) and logged when it failed. An attempt released by shutdown is none of
 * these: it was not made.
 */
export function deliveryOutcomes(deps: {
  metrics: Metrics;
  record: RecordEvidence;
  /** The gateway's logger, once it exists. */
  log: () => FastifyBaseLogger;
}): (outcome: DeliveryOutcome) => Promise<void> {
  return async (o) => {
    if (o.status === 'released') return;
    deps.metrics.deliveries.inc({ notifier: o.target, status: o.status });
    if (o.status === 'failed') deps.log().warn(o, 'notification delivery failed for good');
    else if (o.status === 'retrying') deps.log().debug(o, 'notification delivery will be retried');
    // Returned, not left floating: the delivery worker holds the attempt's slot until the
    // entry is written, so a shutdown closes the store only after it (it used to write into
    // a closed store: "driver has already been destroyed").
    await deps
      .record([actionNotified({ ...o, status: o.status })])
      .catch((e: unknown) => deps.log().error({ err: e }, 'could not record a delivery'));
  };
}
