/**
 * Durations in policy files: `30s`, `15m`, `2h`, `1d` and compounds such as `1h30m`.
 * @module
 */

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_ORDER: readonly Unit[] = ['d', 'h', 'm', 's'];

// Whole numbers with a unit, largest unit first, each unit at most once. Anything looser
// (`1.5h`, `90`, `1h1h`, `30m1h`, `1 h`) is rejected: a timeout is a security control, and a
// value we would have to guess at is one we might guess wrong.
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/**
 * Parses a policy duration into milliseconds, or returns `undefined` when the text is not a
 * positive duration in the accepted syntax.
 *
 * @example
 * parseDuration('1h30m'); // 5_400_000
 * parseDuration('90');    // undefined: a unit is required
 */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (m === null || text === '') return undefined;
  let ms = 0;
  for (let i = 0; i < UNIT_ORDER.length; i++) {
    const digits = m[i + 1];
    if (digits === undefined) continue;
    ms += Number(digits) * UNIT_MS[UNIT_ORDER[i]];
  }
  // `0s` is not a timeout, and absurdly long digit strings must not round silently.
  if (ms <= 0 || !Number.isSafeInteger(ms)) return undefined;
  return ms;
}

/**
 * Renders milliseconds in the same syntax, for explanations (`5_400_000` → `1h30m`).
 * Sub-second remainders are shown as `ms` since they can only come from code, not policy.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return `${ms}ms`;
  let rest = Math.floor(ms);
  let out = '';
  for (const unit of UNIT_ORDER) {
    const n = Math.floor(rest / UNIT_MS[unit]);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * UNIT_MS[unit];
  }
  if (rest > 0) out += `${rest}ms`;
  return out;
}
