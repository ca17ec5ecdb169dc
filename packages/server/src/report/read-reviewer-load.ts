import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { InsightsRepository } from '../storage/insights-repository.js';
import type { ReportPeriod } from './report-period.js';
import { reviewerLoad } from './reviewer-load.js';
import type { ReviewerLoadSection } from './soc2-report.js';

/** The reviewer-load figures of a period, read from the store (GET /v1/insights). */
export async function readReviewerLoad(
  db: Kysely<Database>,
  period: Pick<ReportPeriod, 'start' | 'end'>,
  fastApprovalMs: number,
): Promise<ReviewerLoadSection> {
  const repo = new InsightsRepository(db);
  const window = { start: period.start, end: period.end };
  const [votes, requests] = await Promise.all([
    repo.votesIn(window),
    repo.reviewedRequestsIn(window),
  ]);
  return reviewerLoad({ window, votes, requests, fastApprovalMs });
}
