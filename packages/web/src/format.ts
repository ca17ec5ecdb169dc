import { inertJson } from '@countersign/core/text';

/** Times as people read them, in their own locale and time zone. */
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const seconds = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function formatTime(iso: string, precise = false): string {
  return (precise ? seconds : dateTime).format(new Date(iso));
}

/** "in 25 minutes", "2 hours ago". */
export function fromNow(iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  const abs = Math.abs(ms);
  if (abs < 60_000) return relative.format(Math.round(ms / 1000), 'second');
  if (abs < 3_600_000) return relative.format(Math.round(ms / 60_000), 'minute');
  if (abs < 86_400_000) return relative.format(Math.round(ms / 3_600_000), 'hour');
  return relative.format(Math.round(ms / 86_400_000), 'day');
}

/** `30m`, `2h`, `1d 4h` from milliseconds. */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.length === 0 ? '0s' : parts.join(' ');
}

/** Indented JSON for display; bidi and C1 controls as `\\u` escapes (see inert-text.ts). */
export function pretty(value: unknown): string {
  return inertJson(value);
}

/** A digest or hash, shortened for a list; the full value stays in the title. */
export function short(hash: string, keep = 12): string {
  const i = hash.indexOf(':');
  const body = i >= 0 ? hash.slice(i + 1) : hash;
  return body.length <= keep ? hash : `${hash.slice(0, i + 1)}${body.slice(0, keep)}…`;
}
