import type { JsonObject, JsonValue } from './api/types';

/** One parameter as a card or a request page shows it: key and value as (bounded) text. */
export interface KeyParam {
  key: string;
  value: string;
  /** The value was cut to fit; the full parameters are one tap away. */
  cut: boolean;
}

export interface KeyParamOptions {
  /** At most this many. */
  max?: number;
  /** Values longer than this many characters are cut with `…`. */
  maxLength?: number;
  /** Requests shown beside this one: a parameter whose value differs among them goes first. */
  among?: readonly JsonObject[];
}

type Scalar = string | number | boolean;
const isScalar = (v: JsonValue | undefined): v is Scalar =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** Cut by code points, so a surrogate pair is never split into two halves. */
function cut(s: string, max: number): { text: string; cut: boolean } {
  const points = Array.from(s);
  return points.length <= max
    ? { text: s, cut: false }
    : { text: `${points.slice(0, max - 1).join('')}…`, cut: true };
}

/**
 * The few parameters that tell a request apart: scalars only (a list or an object is one tap
 * away in the full JSON), those whose value differs among the requests shown beside it first,
 * then the shortest, at most `max` of them, shown in the order the agent sent them. Four
 * exports of `postgres://prod/customers` then read `rows: 180000` and `rows: 50`, not the
 * same card four times.
 * @example keyParams({ rows: 180000, columns: ['id'], format: 'csv' }) // rows, format
 */
export function keyParams(params: JsonObject, options: KeyParamOptions = {}): KeyParam[] {
  const { max = 4, maxLength = 48, among = [] } = options;
  const keys = Object.keys(params);
  // Only requests that have the key count: a sibling without `format` says nothing about it.
  const differs = (key: string) =>
    among.some((o) => o !== params && Object.hasOwn(o, key) && o[key] !== params[key]);
  const scalars: { k: string; text: string; order: number }[] = [];
  for (const [order, k] of keys.entries()) {
    const v = params[k];
    if (isScalar(v)) scalars.push({ k, text: String(v), order });
  }
  return scalars
    .map((p) => ({ ...p, differs: differs(p.k), size: p.text.length + p.k.length }))
    .sort((a, b) => Number(b.differs) - Number(a.differs) || a.size - b.size || a.order - b.order)
    .slice(0, max)
    .sort((a, b) => a.order - b.order)
    .map(({ k, text }) => {
      const value = cut(text, maxLength);
      return { key: cut(k, 32).text, value: value.text, cut: value.cut };
    });
}
