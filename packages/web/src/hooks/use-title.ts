import { useEffect } from 'react';
import { inertLine } from '@countersign/core/text';

/** Each page names itself in the tab and for screen readers' page announcements. */
export function useTitle(title: string): void {
  useEffect(() => {
    // Titles quote the agent's action and resource: one line, no bidi override (the tab and
    // the window list are outside any <bdi>).
    document.title = `${inertLine(title)} · Countersign`;
  }, [title]);
}
