import { useEffect } from 'react';

/** Each page names itself in the tab and for screen readers' page announcements. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Countersign`;
  }, [title]);
}
