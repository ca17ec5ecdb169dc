import { useEffect, useRef } from 'react';

/**
 * Subscribes to a server-sent event stream (same origin, so the session cookie goes along)
 * while `url` is set. Handlers may change between renders without reconnecting.
 */
export function useEventSource(
  url: string | null,
  handlers: Record<string, (data: string) => void>,
): void {
  const current = useRef(handlers);
  // The latest handlers, for events that arrive after this render.
  useEffect(() => {
    current.current = handlers;
  });
  const names = Object.keys(handlers).sort().join(',');
  useEffect(() => {
    if (url === null) return;
    const source = new EventSource(url);
    const listeners = names.split(',').map((name) => {
      const listener = (e: MessageEvent<string>) => current.current[name]?.(e.data);
      source.addEventListener(name, listener);
      return [name, listener] as const;
    });
    return () => {
      for (const [name, listener] of listeners) source.removeEventListener(name, listener);
      source.close();
    };
  }, [url, names]);
}
