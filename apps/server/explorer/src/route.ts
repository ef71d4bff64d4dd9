/** Where the location hash points: `#/`, `#/entity/<id>`, `#/graph/<id>`, `#/peers`, with a query. */
export interface Route {
  readonly page: 'list' | 'entity' | 'graph' | 'peers';
  readonly id: string;
  readonly params: URLSearchParams;
}

/** Renders a page into `main`; returns what to stop (subscriptions, timers) when leaving it. */
export type Page = (main: HTMLElement, route: Route) => () => void;

export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = text.split('?', 2);
  const [page = '', ...rest] = path.split('/');
  const params = new URLSearchParams(query);
  const id = decodeURIComponent(rest.join('/'));
  if ((page === 'entity' || page === 'graph') && id !== '') return { page, id, params };
  if (page === 'peers') return { page, id: '', params };
  return { page: 'list', id: '', params };
}

/** Changes the query of the current page without a new history entry or a re-render. */
export function replaceParams(params: Readonly<Record<string, string | undefined>>): void {
  const [path = ''] = location.hash.split('?', 1);
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== '') query.set(key, value);
  const text = query.toString();
  history.replaceState(null, '', text === '' ? path : `${path}?${text}`);
}
