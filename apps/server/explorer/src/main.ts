import { api, describeError, getToken, setToken } from './api.ts';
import { renderEntity } from './pages/entity.ts';
import { renderGraph } from './pages/graph.ts';
import { renderList } from './pages/list.ts';
import { renderPeers } from './pages/peers.ts';
import { parseRoute, type Page, type Route } from './route.ts';

const PAGES: Record<Route['page'], Page> = {
  list: renderList,
  entity: renderEntity,
  graph: renderGraph,
  peers: renderPeers,
};

const main = document.getElementById('main')!;
let leave: () => void = () => {};

function render(): void {
  leave();
  const route = parseRoute(location.hash);
  for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-nav]')) {
    const current =
      link.dataset['nav'] === route.page ||
      (link.dataset['nav'] === 'list' && route.page !== 'peers');
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  main.replaceChildren();
  leave = PAGES[route.page](main, route);
}

function showNode(): void {
  const label = document.getElementById('node-id')!;
  api()
    .node.health.query()
    .then((health) => {
      label.textContent = `node ${health.nodeId}`;
      label.title = `status: ${health.status}`;
    })
    .catch((error: unknown) => {
      label.textContent = describeError(error);
    });
}

const tokenForm = document.getElementById('token-form') as HTMLFormElement;
const tokenInput = document.getElementById('token-input') as HTMLInputElement;
tokenInput.value = getToken();
tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  setToken(tokenInput.value.trim());
  render();
});

window.addEventListener('hashchange', render);
showNode();
render();
