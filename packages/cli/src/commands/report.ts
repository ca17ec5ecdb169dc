import { createReadStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CountersignError, EXPORT_FILES, jsonlLines } from '@countersign/core';
import {
  generateSoc2Report,
  recountFigures,
  renderSoc2Html,
  reportPeriod,
  signReport,
  storedReportSigner,
  verifyReportSignature,
  type ReportEncoding,
  type Soc2Report,
} from '@countersign/server';
import { EXIT } from '../cli-error.js';
import { verifyExportDir } from './audit.js';
import { withStore } from '../open-store.js';

export interface ReportSoc2Options {
  config: string;
  from: string;
  to: string;
  out?: string;
  json?: boolean;
  jsonOut?: string;
  key?: string;
  acceptGatewayKey?: boolean;
  /** The fast-approval threshold in seconds; default `insights.fast_approval_seconds`. */
  fastSeconds?: string;
}

/** The longest fast-approval threshold, as the config schema allows (a day). */
const MAX_FAST_SECONDS = 86_400;

/** `--fast-seconds`: a positive number of seconds, at most a day; undefined when not given. */
export function fastApprovalMs(flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  const seconds = /^\s*\d+(\.\d+)?\s*$/.test(flag) ? Number(flag) : NaN;
  if (!(seconds > 0 && seconds <= MAX_FAST_SECONDS)) {
    throw new CountersignError(
      'config_invalid',
      `--fast-seconds: expected a number of seconds above 0 and at most ${MAX_FAST_SECONDS}`,
    );
  }
  return Math.round(seconds * 1000);
}

const GATEWAY_KEY_WARNING =
  "WARNING: checking with the gateway's own key (--accept-gateway-key): this proves the log is " +
  'intact, not that it is the log you know; give --key with the verifier key you obtained ' +
  'outside the gateway for that\n';

/**
 * `report soc2`: the HTML evidence report to `--out` and the JSON to `--json-out`, each with a
 * detached signature by the log's note key next to it (`<file>.sig`, report-signature.ts);
 * `--json` prints the JSON, unsigned, on stdout. The audit log is checked with `--key`, a
 * verifier key from outside the gateway, or with the gateway's own only when
 * `--accept-gateway-key` says so. Exits 1 when the log fails verification or the report
 * cannot be signed (the report is still written: a failed check is evidence too).
 */
export async function reportSoc2(options: ReportSoc2Options): Promise<number> {
  if (!options.out && !options.json && !options.jsonOut) {
    throw new CountersignError(
      'invalid_request',
      'give --out FILE (HTML), --json-out FILE (JSON), --json (stdout), or several',
    );
  }
  const period = reportPeriod(options.from, options.to);
  const fast = fastApprovalMs(options.fastSeconds);
  if (!options.key && !options.acceptGatewayKey) {
    process.stderr.write(
      'countersign: the report checks the audit log with a verifier key from outside the gateway: ' +
        "pass --key <vkey>, or --accept-gateway-key to use the gateway's own (weaker)\n",
    );
    return EXIT.usage;
  }
  if (!options.key) process.stderr.write(GATEWAY_KEY_WARNING);
  const { report, signer } = await withStore(options.config, async (storage, config) => ({
    report: await generateSoc2Report(storage, config, {
      period,
      verifierKey: options.key,
      acceptGatewayKey: options.acceptGatewayKey,
      fastApprovalMs: fast,
    }),
    signer: await storedReportSigner(storage),
  }));
  let unsigned = false;
  const write = (file: string, text: string, encoding: ReportEncoding) => {
    const bytes = Buffer.from(text, 'utf8');
    writeFileSync(file, bytes, { mode: 0o640 });
    if (!signer || report.log_integrity.checkpoint === null) {
      unsigned = true;
      process.stderr.write(
        `countersign: ${file} is NOT signed: ${signer ? 'the log has no signed checkpoint yet' : 'no audit signing key'}\n`,
      );
      return;
    }
    writeFileSync(`${file}.sig`, signReport(bytes, encoding, report, signer), { mode: 0o644 });
  };
  if (options.out) write(options.out, renderSoc2Html(report), 'html');
  if (options.jsonOut) write(options.jsonOut, `${JSON.stringify(report, null, 2)}\n`, 'json');
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const integrity = report.log_integrity;
  const files = [options.out, options.jsonOut].filter(Boolean);
  process.stderr.write(
    `${files.length > 0 ? `wrote ${files.join(', ')}${unsigned ? '' : ' (and .sig)'}: ` : ''}${report.privileged_actions.total} requests from ${period.from} to ${period.to}, ` +
      `${report.privileged_actions.approval_requests.length} needed approval; audit log ${integrity.status.replace('_', ' ')}\n`,
  );
  return integrity.status === 'failed' || unsigned ? EXIT.failed : EXIT.ok;
}

export interface ReportVerifyOptions {
  signature?: string;
  key?: string;
  acceptGatewayKey?: boolean;
  /** An audit export directory (`audit export --out DIR`): recount the figures from it. */
  log?: string;
}

/**
 * `report verify <report> --signature <file> --key <vkey>`: the report's bytes against the
 * signature, the signature and the embedded checkpoint against a verifier key the auditor
 * holds, and with `--log DIR` the log itself (verified with the same key, and the report's
 * checkpoint a prefix of it) and the report's figures recounted from it. Exit 0 only if
 * everything checked passes; 1 on any failure; 2 on a usage error.
 */
export async function reportVerify(file: string, options: ReportVerifyOptions): Promise<number> {
  const signatureFile = options.signature ?? `${file}.sig`;
  for (const f of [file, signatureFile]) {
    if (!existsSync(f)) {
      process.stderr.write(`countersign: ${f}: no such file\n`);
      return EXIT.usage;
    }
  }
  const signature = readFileSync(signatureFile);
  let key = options.key?.trim();
  if (!key) {
    if (!options.acceptGatewayKey) {
      process.stderr.write(
        'countersign: pass --key <vkey>, the log verifier key you obtained outside the gateway ' +
          '(or --accept-gateway-key to trust the key the gateway itself supplies)\n',
      );
      return EXIT.usage;
    }
    const shipped = options.log ? join(options.log, EXPORT_FILES.key) : undefined;
    if (!shipped || !existsSync(shipped)) {
      process.stderr.write(
        `countersign: --accept-gateway-key takes the key from the export's ${EXPORT_FILES.key}: pass --log DIR\n`,
      );
      return EXIT.usage;
    }
    key = readFileSync(shipped, 'utf8').trim();
    process.stderr.write(GATEWAY_KEY_WARNING);
  }
  const bytes = readFileSync(file);
  const check = verifyReportSignature({ bytes, signature, verifierKey: key });
  if (!check.ok) {
    process.stdout.write(`FAIL ${check.code}: ${check.reason}\n`);
    return EXIT.failed;
  }
  const s = check.statement;
  process.stdout.write(
    `OK signature: ${file} (${s.encoding}, SHA-256 ${s.sha256}) is the report for ${s.period.from} to ` +
      `${s.period.to} made ${s.generated}, signed by ${check.signer}\n` +
      `OK checkpoint: the log at size ${s.checkpoint.size}, root ${s.checkpoint.root_hash}, signed by the same key and embedded in the report\n`,
  );
  if (!options.log) {
    process.stdout.write(
      'not checked: the log itself and the figures (pass --log DIR, an audit export)\n',
    );
    return EXIT.ok;
  }
  // The report's checkpoint joins the export's older ones: each must be a prefix of the
  // exported log, so the report's checkpoint is of this very log.
  const log = await verifyExportDir(options.log, {
    keys: [key],
    history: [{ label: 'the checkpoint the report is signed over', note: s.checkpoint.note }],
  });
  if (!log.ok) {
    process.stdout.write(
      `FAIL log ${log.code}: ${log.reason}` +
        (log.first_bad_index === undefined
          ? ''
          : ` (first bad entry: index ${log.first_bad_index})`) +
        '\n',
    );
    return EXIT.failed;
  }
  process.stdout.write(
    `OK log: all ${log.size} entries of ${options.log} match its checkpoint, and the report's checkpoint is a prefix of it\n`,
  );
  if (s.encoding !== 'json') {
    process.stdout.write(
      'not checked: the figures (an HTML report; verify the JSON report, --json-out, to recount them)\n',
    );
    return EXIT.ok;
  }
  const report = JSON.parse(bytes.toString('utf8')) as Soc2Report;
  const figures = await recountFigures(
    report,
    jsonlLines(
      createReadStream(join(options.log, EXPORT_FILES.entries), { highWaterMark: 1 << 20 }),
    ),
    s.checkpoint.size,
  );
  for (const c of figures.checked) {
    process.stdout.write(
      `${c.report === c.log ? 'OK' : 'MISMATCH'} ${c.figure}: report ${c.report}, log ${c.log}\n`,
    );
  }
  if (figures.mismatches.length === 0) return EXIT.ok;
  if (figures.afterCheckpoint > 0) {
    process.stdout.write(
      `INCONCLUSIVE: ${figures.afterCheckpoint} entries of the period come after the report's checkpoint\n`,
    );
    return EXIT.failed;
  }
  process.stdout.write(
    `FAIL figures: ${figures.mismatches.length} figure(s) differ from the log\n`,
  );
  return EXIT.failed;
}
