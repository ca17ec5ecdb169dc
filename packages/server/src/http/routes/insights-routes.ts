import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CountersignError } from '@countersign/core';
import { reportPeriod, type ReportPeriod } from '../../report/report-period.js';
import type { ReviewerLoadSection } from '../../report/soc2-report.js';
import { Problem } from '../schemas.js';

/** Reads the reviewer-load figures of a period (report/reviewer-load.ts over the store). */
export type ReviewerLoadReader = (period: ReportPeriod) => Promise<ReviewerLoadSection>;

/** A year of votes at most per call: the figures are computed in memory from the period's votes. */
const MAX_DAYS = 366;
const DAY_MS = 86_400_000;

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'UTC day, YYYY-MM-DD' });
const Ms = Type.Union([Type.Number(), Type.Null()]);
const Figures = {
  approvals: Type.Integer(),
  denials: Type.Integer(),
  approval_rate: Ms,
  p50_ms: Ms,
  p90_ms: Ms,
  fast_approvals: Type.Integer(),
  requests: Type.Integer(),
  requests_per_day: Type.Number(),
};

/**
 * Reviewer load and rubber-stamp indicators (docs/fatigue.md): auditors and admins only, like
 * the audit log they are computed from; anyone else is refused, and the refusal audited, by
 * the auth hook.
 */
export const insightsRoutes =
  (read: ReviewerLoadReader): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/v1/insights',
      {
        config: { auth: 'auditor' },
        schema: {
          operationId: 'getReviewerInsights',
          summary:
            'Per reviewer and per rule: approvals, denials, approval rate, time to vote, fast approvals, requests per day',
          tags: ['audit'],
          security: [{ bearer: [] }],
          querystring: Type.Object({ from: Day, to: Day }, { additionalProperties: false }),
          response: {
            200: Type.Object({
              period: Type.Object({
                from: Day,
                to: Day,
                start: Type.String({ format: 'date-time' }),
                end: Type.String({ format: 'date-time' }),
              }),
              fast_approval_threshold_ms: Type.Number(),
              days: Type.Integer(),
              votes: Type.Integer(),
              fast_approvals: Type.Integer(),
              reviewers: Type.Array(
                Type.Object({
                  user: Type.String(),
                  ...Figures,
                  busiest_day: Type.Union([
                    Type.Object({ date: Day, requests: Type.Integer() }),
                    Type.Null(),
                  ]),
                }),
              ),
              rules: Type.Array(Type.Object({ rule: Type.String(), ...Figures })),
            }),
            '4xx': Problem,
            '5xx': Problem,
          },
        },
      },
      async (request) => {
        const { from, to } = request.query;
        const period = reportPeriod(from, to);
        if (period.end - period.start > MAX_DAYS * DAY_MS) {
          throw new CountersignError(
            'invalid_request',
            `the period spans more than ${MAX_DAYS} days: ask for it in parts`,
          );
        }
        const s = await read(period);
        return {
          period: {
            from,
            to,
            start: new Date(period.start).toISOString(),
            end: new Date(period.end).toISOString(),
          },
          fast_approval_threshold_ms: s.fast_approval_threshold_ms,
          days: s.days,
          votes: s.votes,
          fast_approvals: s.fast_approvals,
          reviewers: s.reviewers,
          rules: s.rules,
        };
      },
    );
  };
