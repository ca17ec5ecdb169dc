import { CountersignError } from '@countersign/core';

/**
 * The period a report covers: whole UTC days, `from` and `to` both included. `start` and
 * `end` are the epoch-millisecond bounds of the half-open interval [start, end).
 */
export interface ReportPeriod {
  from: string;
  to: string;
  start: number;
  end: number;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

function dayStart(text: string, flag: string): number {
  const m = DATE.exec(text);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  // Date.UTC rolls 2025-02-30 over to March; a date that does not round-trip is not a date.
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text) {
    throw new CountersignError(
      'invalid_request',
      `${flag}: expected a date YYYY-MM-DD (got ${text})`,
    );
  }
  return ms;
}

/**
 * Parses `--from` and `--to`. Days are UTC so that two auditors running the same command in
 * different time zones get the same report.
 */
export function reportPeriod(from: string, to: string): ReportPeriod {
  const start = dayStart(from, '--from');
  const end = dayStart(to, '--to') + DAY_MS;
  if (end <= start) {
    throw new CountersignError('invalid_request', `--to (${to}) is before --from (${from})`);
  }
  return { from, to, start, end };
}
