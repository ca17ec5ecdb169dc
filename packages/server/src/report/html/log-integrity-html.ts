import { sectionHead, table } from './html-parts.js';
import { markup, type SafeHtml } from './safe-html.js';
import type { LogIntegritySection } from '../soc2-report.js';

/** Renders the log verification result and the checkpoint it was checked against. */
export function logIntegrityHtml(s: LogIntegritySection): SafeHtml {
  const status =
    s.status === 'verified'
      ? markup`<span class="ok">VERIFIED</span>`
      : s.status === 'failed'
        ? markup`<span class="bad">FAILED</span>`
        : markup`<span class="warn">VERIFICATION NOT AVAILABLE</span>`;
  const c = s.checkpoint;
  return markup`<section>
    ${sectionHead('log-integrity', s)}
    <p>Result: ${status}${s.entries === null ? '' : ` (${s.entries} entries)`}. ${s.detail}</p>
    ${
      c === null
        ? markup`<p class="none">No signed checkpoint was available.</p>`
        : markup`<h3>Checkpoint checked against</h3>
            ${table(['origin', { num: 'tree size' }, 'root hash'], [[markup`<code>${c.origin}</code>`, c.size, markup`<code>${c.root_hash}</code>`]])}
            <pre class="note">${c.note}</pre>`
    }
    ${s.verifier_key === null ? '' : markup`<p>Verifier key: <code>${s.verifier_key}</code></p>`}
    <p class="meta">
      To reproduce: <code>countersign audit export --out DIR</code>, then
      <code>countersign audit verify DIR --key VERIFIER-KEY</code> with the key obtained
      independently of the server; save the note above as a file and add
      <code>--since FILE</code> to check that the log has only grown since this report. This file
      itself: <code>countersign report verify FILE --key VERIFIER-KEY</code> checks it against its
      signature (<code>FILE.sig</code>), made with the log's key over its exact bytes.
    </p>
  </section>`;
}
