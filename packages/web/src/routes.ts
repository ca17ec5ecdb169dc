/**
 * The inbox's pages. The gateway serves index.html at each of these paths (keep in step with
 * packages/server/src/web/spa-routes.ts); anything else is the API's.
 */
export type Route =
  | { name: 'inbox' }
  | { name: 'action'; id: string }
  | { name: 'history' }
  | { name: 'audit' }
  | { name: 'policy' }
  | { name: 'insights' }
  | { name: 'standing' }
  | { name: 'standing-approval'; id: string }
  | { name: 'login' }
  | { name: 'one-time' }
  | { name: 'not-found' };

export function matchRoute(pathname: string): Route {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  if (path === '/') return { name: 'inbox' };
  const action = /^\/actions\/([A-Za-z0-9_-]{1,64})$/.exec(path);
  if (action?.[1] !== undefined) return { name: 'action', id: action[1] };
  const standing = /^\/standing-approvals\/([A-Za-z0-9_-]{1,64})$/.exec(path);
  if (standing?.[1] !== undefined) return { name: 'standing-approval', id: standing[1] };
  switch (path) {
    case '/history':
      return { name: 'history' };
    case '/audit':
      return { name: 'audit' };
    case '/policy':
      return { name: 'policy' };
    case '/insights':
      return { name: 'insights' };
    case '/standing-approvals':
      return { name: 'standing' };
    case '/login':
      return { name: 'login' };
    case '/login/one-time':
      return { name: 'one-time' };
    default:
      return { name: 'not-found' };
  }
}

/** Pages a signed-out visitor may see. */
export function isPublic(route: Route): boolean {
  return route.name === 'login' || route.name === 'one-time';
}
