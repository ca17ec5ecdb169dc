import { terminalSafe } from './terminal-text.js';

/** pino's numeric levels (https://getpino.io/#/docs/api?id=levels). */
const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** Fields every pino line carries, or that only matter to a machine reading the log. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'err']);

/**
 * A log destination for a person at a terminal (`serve --demo`): one short line per event,
 * `12:03:04 warn  policy reload refused: …`, instead of JSON. Fastify's per-request lines
 * (those with `req`/`res`) are dropped: the demo terminal is for the story, not the traffic.
 * Values can quote an agent's text, so they are printed inert (terminal-text.ts).
 */
export function humanLogStream(out: { write(s: string): unknown }): { write(line: string): void } {
  return {
    write(line: string) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(`${terminalSafe(line.trimEnd())}\n`);
        return;
      }
      if ('req' in entry || 'res' in entry) return;
      out.write(`${formatLogEntry(entry)}\n`);
    },
  };
}

/** One pino entry as one line. */
export function formatLogEntry(entry: Record<string, unknown>): string {
  const time = new Date(typeof entry.time === 'number' ? entry.time : Date.now());
  const level = LEVELS[Number(entry.level)] ?? String(entry.level);
  const fields = Object.entries(entry)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const err = entry.err as { message?: unknown } | undefined;
  const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const parts = [
    time.toISOString().slice(11, 19),
    level.padEnd(5),
    entry.msg === undefined ? '' : text(entry.msg),
    ...(err?.message !== undefined ? [`: ${text(err.message)}`] : []),
    ...(fields.length > 0 ? [` (${fields.join(', ')})`] : []),
  ];
  return terminalSafe(`${parts[0]} ${parts[1]} ${parts.slice(2).join('')}`);
}
