import { writeFileSync } from 'node:fs';
import { CountersignError } from '@countersign/core';
import { generateSoc2Report, renderSoc2Html, reportPeriod } from '@countersign/server';
import { EXIT } from '../cli-error.js';
import { withStore } from '../open-store.js';

export interface ReportSoc2Options {
  config: string;
  from: string;
  to: string;
  out?: string;
  json?: boolean;
  key?: string;
}

/**
 * `report soc2`: the HTML evidence report to `--out`, and with `--json` the same content as
 * JSON on stdout. Exits 1 when the audit log fails verification (the report is still
 * written: a failed check is evidence too).
 */
export async function reportSoc2(options: ReportSoc2Options): Promise<number> {
  if (!options.out && !options.json) {
    throw new CountersignError(
      'invalid_request',
      'give --out FILE (HTML), --json (stdout), or both',
    );
  }
  const period = reportPeriod(options.from, options.to);
  const report = await withStore(options.config, (storage, config) =>
    generateSoc2Report(storage, config, { period, verifierKey: options.key }),
  );
  if (options.out) writeFileSync(options.out, renderSoc2Html(report), { mode: 0o640 });
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const integrity = report.log_integrity;
  process.stderr.write(
    `${options.out ? `wrote ${options.out}: ` : ''}${report.privileged_actions.total} requests from ${period.from} to ${period.to}, ` +
      `${report.privileged_actions.approval_requests.length} needed approval; audit log ${integrity.status.replace('_', ' ')}\n`,
  );
  return integrity.status === 'failed' ? EXIT.failed : EXIT.ok;
}
