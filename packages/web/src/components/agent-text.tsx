import { inertLine, inertLines } from '@countersign/core/text';

/**
 * A string the agent (or a reviewer) wrote, shown as inert text in its own element: React
 * escapes markup, `inertLine` makes controls and bidi overrides visible, and `<bdi>` isolates
 * the field's direction so right-to-left text cannot reorder what follows it (HTML §4.5.23).
 * `multiline` keeps line breaks inside the field (its CSS box), for prose like a justification.
 */
export function AgentText({ text, multiline = false }: { text: string; multiline?: boolean }) {
  return (
    <bdi className={multiline ? 'agent-text multiline' : 'agent-text'} data-agent-text="">
      {multiline ? inertLines(text) : inertLine(text)}
    </bdi>
  );
}
