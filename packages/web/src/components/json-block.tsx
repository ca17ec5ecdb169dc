import { pretty } from '../format';

/**
 * Formatted JSON. Focusable so a keyboard user can scroll a wide block; rendered as text, so
 * whatever an agent put in its params is shown, never interpreted.
 */
export function JsonBlock({ value, label }: { value: unknown; label: string }) {
  return (
    <pre className="json" tabIndex={0} aria-label={label}>
      <code>{pretty(value)}</code>
    </pre>
  );
}
