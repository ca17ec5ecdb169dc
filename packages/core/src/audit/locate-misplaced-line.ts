import type { RecentLeaves } from './recent-leaves.js';
import type { EntryFault } from './scan-entries.js';

/**
 * Names the first bad entry when the line at `position` carries another index, `claimed`.
 * Every line before it carried its own position, so:
 *
 * - `claimed > position`: entries `position…claimed-1` are not here: deleted, or moved later
 *   (a swap of i < j is found at i). Name `position`.
 * - `claimed < position`: index `claimed` is taken twice. If this line is byte-identical to line
 *   `claimed`, it is a copy: name `position`. If its `prev` is the leaf hash of line
 *   `claimed - 1`, it is the genuine entry `claimed` pushed down by the lines inserted before
 *   it: name `claimed`. If it does not chain there, this line itself is the intruder. When the
 *   lines are too far back to compare, bound the damage to `[claimed, position]`.
 */
export function locateMisplacedLine(
  position: number,
  claimed: number,
  prev: string | null,
  leaf: Uint8Array,
  recent: RecentLeaves,
): EntryFault {
  const at = (index: number, reason: string): EntryFault => ({
    code: 'entry_out_of_order',
    index,
    position,
    reason,
  });
  if (claimed > position) {
    return at(
      position,
      `entry ${position} is missing: the line in its place carries index ${claimed} (entries deleted or moved)`,
    );
  }
  const same = recent.get(claimed);
  if (same?.equals(leaf)) {
    return at(position, `line ${position} repeats entry ${claimed} (a copied row)`);
  }
  const before = claimed === 0 ? null : recent.get(claimed - 1)?.toString('base64');
  if (before !== undefined) {
    const link = claimed === 0 ? 'it is a first entry' : `it chains to entry ${claimed - 1}`;
    return prev === before
      ? at(
          claimed,
          `line ${position} is entry ${claimed} (${link}), so the ${position - claimed} line(s) from ${claimed} were inserted`,
        )
      : at(
          position,
          `line ${position} carries index ${claimed}, already taken, and does not chain to entry ${claimed - 1}: it was inserted or moved`,
        );
  }
  return {
    ...at(claimed, `index ${claimed} appears again at line ${position}: lines were inserted`),
    range: { from: claimed, to: position + 1 },
  };
}
