import { createHash } from 'node:crypto';
import {
  isAuditError,
  openCheckpoint,
  openNote,
  parseNoteVerifierKey,
  signNote,
  type NoteSigner,
  type NoteVerifier,
} from '@countersign/core';
import type { Soc2Report } from './soc2-report.js';

/**
 * The first line of a report signature: names this format and its version. A signature is a
 * C2SP signed note (c2sp.org/signed-note), signed by the audit log's own note key, whose text
 * is these lines, each `<keyword> <value>`, in this order:
 *
 *   countersign.report-signature/v1
 *   report countersign.soc2-report/1
 *   encoding html|json
 *   sha256 <64 lowercase hex: SHA-256 of the report file's exact bytes>
 *   bytes <decimal size of the report file>
 *   period <from YYYY-MM-DD> <to YYYY-MM-DD>
 *   generated <RFC 3339 time the report was made>
 *   checkpoint <tree size> <base64 root hash>
 *   checkpoint-note <base64 of the signed checkpoint note the report embeds>
 *
 * The key name (the log's origin) is the signer; a checkpoint of that log is embedded whole,
 * in base64 (a note cannot nest a note's blank line), so the file alone carries what the
 * report covers and verifies with the same key. Any C2SP verifier (Go's note.Open) opens it.
 */
export const REPORT_SIGNATURE_FORMAT = 'countersign.report-signature/v1';

export type ReportEncoding = 'html' | 'json';

/** What a signature states about one report file. */
export interface ReportStatement {
  report: string;
  encoding: ReportEncoding;
  sha256: string;
  bytes: number;
  period: { from: string; to: string };
  generated: string;
  checkpoint: { size: number; root_hash: string; note: string };
}

/** Why a report does not verify: a stable code an auditor's script can test, and a sentence. */
export type ReportSignatureFailureCode =
  | 'key_invalid'
  | 'signature_malformed'
  | 'signature_invalid'
  | 'report_modified'
  | 'checkpoint_invalid'
  | 'checkpoint_mismatch'
  | 'period_mismatch';

export type ReportSignatureCheck =
  | { ok: true; statement: ReportStatement; signer: string }
  | { ok: false; code: ReportSignatureFailureCode; reason: string };

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Signs a report file's exact bytes with the log's note key. The report must embed a signed
 * checkpoint (its log-integrity section): a signature vouches for a report of the log up to
 * a point the log itself signed, never for a report of an unanchored log.
 */
export function signReport(
  bytes: Uint8Array,
  encoding: ReportEncoding,
  report: Soc2Report,
  signer: NoteSigner,
): string {
  const c = report.log_integrity.checkpoint;
  if (c === null) {
    throw new Error('the report embeds no signed checkpoint: there is nothing to anchor it to');
  }
  const lines = [
    REPORT_SIGNATURE_FORMAT,
    `report ${report.format}/${report.version}`,
    `encoding ${encoding}`,
    `sha256 ${sha256(bytes)}`,
    `bytes ${bytes.length}`,
    `period ${report.period.from} ${report.period.to}`,
    `generated ${report.generated_at}`,
    `checkpoint ${c.size} ${c.root_hash}`,
    `checkpoint-note ${Buffer.from(c.note, 'utf8').toString('base64')}`,
  ];
  return signNote(lines.map((l) => `${l}\n`).join(''), signer);
}

/**
 * Verifies a report file against its signature with a verifier key the auditor holds: the
 * note is signed by that key, the bytes hash to what it states, the embedded checkpoint is
 * signed by the same log and is the one it states, and the report itself embeds that same
 * checkpoint and period. Never throws for bad input: the result says what is wrong.
 */
export function verifyReportSignature(input: {
  bytes: Uint8Array;
  signature: string | Uint8Array;
  verifierKey: string;
}): ReportSignatureCheck {
  let verifier: NoteVerifier;
  try {
    verifier = parseNoteVerifierKey(input.verifierKey.trim());
  } catch (e) {
    return fail('key_invalid', `the verifier key: ${(e as Error).message}`);
  }
  let text: string;
  try {
    const opened = openNote(input.signature, [verifier]);
    text = opened.text;
  } catch (e) {
    if (isAuditError(e) && e.code === 'note_malformed') {
      return fail('signature_malformed', `the signature file is not a signed note: ${e.message}`);
    }
    return fail(
      'signature_invalid',
      `the signature is not by the key ${verifier.name}+${verifier.keyId.toString(16).padStart(8, '0')} ` +
        `(${(e as Error).message}): wrong key, or a forged or altered signature file`,
    );
  }
  const statement = parseStatement(text);
  if (typeof statement === 'string') return fail('signature_malformed', statement);
  if (statement.sha256 !== sha256(input.bytes) || statement.bytes !== input.bytes.length) {
    return fail(
      'report_modified',
      `the report's bytes (SHA-256 ${sha256(input.bytes)}, ${input.bytes.length} bytes) are not the ` +
        `signed ones (${statement.sha256}, ${statement.bytes} bytes): the report was changed, or ` +
        'this signature is for another report',
    );
  }
  try {
    const { checkpoint } = openCheckpoint(statement.checkpoint.note, [verifier]);
    const root = Buffer.from(checkpoint.rootHash).toString('base64');
    if (checkpoint.origin !== verifier.name)
      throw new Error(`the checkpoint is of ${checkpoint.origin}`);
    if (checkpoint.size !== statement.checkpoint.size || root !== statement.checkpoint.root_hash) {
      throw new Error('the embedded note is not the checkpoint the signature names');
    }
  } catch (e) {
    return fail('checkpoint_invalid', `the embedded checkpoint: ${(e as Error).message}`);
  }
  const embedded = embeddedCheckpoint(input.bytes, statement.encoding);
  if (embedded !== statement.checkpoint.note) {
    return fail(
      'checkpoint_mismatch',
      "the report does not embed the checkpoint its signature covers (the report's log-integrity " +
        'section shows another checkpoint, or none)',
    );
  }
  if (statement.encoding === 'json') {
    const r = JSON.parse(Buffer.from(input.bytes).toString('utf8')) as Soc2Report;
    if (r.period.from !== statement.period.from || r.period.to !== statement.period.to) {
      return fail('period_mismatch', 'the report covers another period than its signature states');
    }
  }
  return { ok: true, statement, signer: verifier.verifierKey };
}

/** The checkpoint note a report file embeds in its log-integrity section, if any. */
export function embeddedCheckpoint(bytes: Uint8Array, encoding: ReportEncoding): string | null {
  const text = Buffer.from(bytes).toString('utf8');
  if (encoding === 'json') {
    try {
      const r = JSON.parse(text) as Partial<Soc2Report>;
      const note = r.log_integrity?.checkpoint?.note;
      return typeof note === 'string' ? note : null;
    } catch {
      return null;
    }
  }
  // The HTML shows the note, escaped, in the one <pre class="note"> (log-integrity-html.ts).
  const m = /<pre class="note">([^<]*)<\/pre>/.exec(text);
  return m ? unescapeHtml(m[1] ?? '') : null;
}

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
};

function unescapeHtml(s: string): string {
  return s.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e] ?? e);
}

/** Parses the statement lines exactly as `signReport` writes them; a string says what is wrong. */
function parseStatement(text: string): ReportStatement | string {
  const lines = text.slice(0, -1).split('\n');
  if (lines[0] !== REPORT_SIGNATURE_FORMAT) {
    return `the signed note is not a ${REPORT_SIGNATURE_FORMAT} (first line "${(lines[0] ?? '').slice(0, 60)}")`;
  }
  const keywords = [
    'report',
    'encoding',
    'sha256',
    'bytes',
    'period',
    'generated',
    'checkpoint',
    'checkpoint-note',
  ];
  if (lines.length !== keywords.length + 1) return 'the signature has not the expected lines';
  const v: Record<string, string[]> = {};
  for (const [i, k] of keywords.entries()) {
    const parts = (lines[i + 1] ?? '').split(' ');
    if (parts[0] !== k) return `line ${i + 2} of the signature is not "${k} …"`;
    v[k] = parts.slice(1);
  }
  const one = (k: string) => (v[k]?.length === 1 ? v[k][0] : undefined);
  const encoding = one('encoding');
  const digest = one('sha256');
  const bytes = one('bytes');
  const [from, to] = v.period ?? [];
  const [size, root] = v.checkpoint ?? [];
  const note = one('checkpoint-note');
  const report = one('report');
  const generated = one('generated');
  if (
    (encoding !== 'html' && encoding !== 'json') ||
    !digest ||
    !/^[0-9a-f]{64}$/.test(digest) ||
    !bytes ||
    !/^(0|[1-9][0-9]{0,15})$/.test(bytes) ||
    v.period?.length !== 2 ||
    !from ||
    !to ||
    v.checkpoint?.length !== 2 ||
    !size ||
    !/^(0|[1-9][0-9]{0,15})$/.test(size) ||
    !root ||
    !note ||
    !report ||
    !generated
  ) {
    return 'the signature has a malformed value';
  }
  return {
    report,
    encoding,
    sha256: digest,
    bytes: Number(bytes),
    period: { from, to },
    generated,
    checkpoint: {
      size: Number(size),
      root_hash: root,
      note: Buffer.from(note, 'base64').toString('utf8'),
    },
  };
}

function fail(code: ReportSignatureFailureCode, reason: string): ReportSignatureCheck {
  return { ok: false, code, reason };
}
