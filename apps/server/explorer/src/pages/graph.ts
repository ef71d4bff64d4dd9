import { api, describeError, liveState, watchDeltas, type Neighbourhood } from '../api.ts';
import { h, href, s, throttle } from '../dom.ts';
import { layoutRadial, RING_RADIUS } from '../graph-layout.ts';

interface Point {
  readonly x: number;
  readonly y: number;
}
import { replaceParams, type Route } from '../route.ts';

const WIDTH = 1000;
const HEIGHT = 680;

function label(id: string): string {
  return id.length > 22 ? `${id.slice(0, 20)}…` : id;
}

/**
 * The control point of a link's curve: straight (the midpoint) unless the link would run under
 * the centre (two entities on opposite sides of it); then it bends around the centre.
 */
function bendOf(a: Point, b: Point): Point {
  const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const chord = Math.hypot(dx, dy);
  if (chord === 0) return mid;
  // Distance from the centre (0, 0) to the segment a–b.
  const t = Math.max(0, Math.min(1, -(a.x * dx + a.y * dy) / (chord * chord)));
  const distance = Math.hypot(a.x + t * dx, a.y + t * dy);
  if (distance >= 60 || (a.x === 0 && a.y === 0) || (b.x === 0 && b.y === 0)) return mid;
  let nx = -dy / chord;
  let ny = dx / chord;
  if (nx * mid.x + ny * mid.y < 0) {
    nx = -nx;
    ny = -ny;
  }
  const offset = 260 - 2 * distance;
  return { x: mid.x + nx * offset, y: mid.y + ny * offset };
}

/** The picture: rings, links labelled with their properties, entities as links to their pages. */
function drawGraph(graph: Neighbourhood): SVGSVGElement {
  const placed = layoutRadial(graph.nodes, graph.edges);
  const at = new Map(placed.map((node) => [node.id, node]));
  // One line per pair of entities, labelled with every property that links them.
  const links = new Map<string, { from: string; to: string; properties: string[] }>();
  for (const edge of graph.edges) {
    const key =
      edge.from < edge.to ? `${edge.from}\u0000${edge.to}` : `${edge.to}\u0000${edge.from}`;
    const link = links.get(key) ?? { from: edge.from, to: edge.to, properties: [] };
    if (!link.properties.includes(edge.property)) link.properties.push(edge.property);
    links.set(key, link);
  }
  const maxHops = Math.max(0, ...graph.nodes.map((node) => node.hops));
  return s(
    'svg',
    {
      class: 'graph',
      viewBox: `${-WIDTH / 2} ${-HEIGHT / 2} ${WIDTH} ${HEIGHT}`,
      role: 'img',
      'aria-labelledby': 'graph-title',
    },
    s(
      'title',
      { id: 'graph-title' },
      `Neighbourhood of ${graph.id}: ${graph.nodes.length} entities, ${links.size} links`,
    ),
    [1, 2]
      .filter((hop) => hop <= maxHops)
      .map((hop) => s('circle', { class: 'ring', r: RING_RADIUS[hop as 1 | 2], cx: 0, cy: 0 })),
    [...links.values()].map((link) => {
      const a = at.get(link.from);
      const b = at.get(link.to);
      if (a === undefined || b === undefined) return null;
      const bend = bendOf(a, b);
      return s(
        'g',
        { class: 'link' },
        s('path', { d: `M ${a.x} ${a.y} Q ${bend.x} ${bend.y} ${b.x} ${b.y}` }),
        s(
          'text',
          {
            x: 0.25 * a.x + 0.5 * bend.x + 0.25 * b.x,
            y: 0.25 * a.y + 0.5 * bend.y + 0.25 * b.y - 4,
            'text-anchor': 'middle',
          },
          link.properties.join(', '),
        ),
      );
    }),
    placed.map((node) =>
      s(
        'a',
        {
          href: href('entity', node.id),
          class: `node hop-${node.hops}`,
          'aria-label': `Open entity ${node.id}`,
          'data-entity': node.id,
        },
        s('title', {}, node.id),
        s('circle', { cx: node.x, cy: node.y, r: node.hops === 0 ? 30 : 20 }),
        s(
          'text',
          { x: node.x, y: node.y + (node.hops === 0 ? 48 : 36), 'text-anchor': 'middle' },
          label(node.id),
        ),
      ),
    ),
  );
}

/** The entities one or two reference links away, drawn radially; each is a link to its page. */
export function renderGraph(main: HTMLElement, route: Route): () => void {
  const id = route.id;
  let hops: 1 | 2 = route.params.get('hops') === '2' ? 2 : 1;
  let shown = new Set<string>([id]);
  let generation = 0;
  const live = h('span', { class: 'live' });
  const hopsSelect = h(
    'select',
    { id: 'graph-hops' },
    h('option', { value: '1' }, '1 hop'),
    h('option', { value: '2' }, '2 hops'),
  );
  hopsSelect.value = String(hops);
  const picture = h('div', { class: 'graph-box card' });
  const summary = h('p', { class: 'summary', role: 'status', 'aria-live': 'polite' }, 'Loading…');
  const list = h('ul', { class: 'neighbours' });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });

  const load = async (): Promise<void> => {
    const mine = ++generation;
    try {
      const graph = await api().explorer.neighbourhood.query({ id, hops });
      if (mine !== generation) return;
      error.hidden = true;
      shown = new Set(graph.nodes.map((node) => node.id));
      picture.replaceChildren(drawGraph(graph));
      summary.textContent = `${graph.nodes.length - 1} linked ${graph.nodes.length === 2 ? 'entity' : 'entities'} within ${hops} ${hops === 1 ? 'hop' : 'hops'}${graph.truncated ? ' (cut at the size limit)' : ''}.`;
      list.replaceChildren(
        ...graph.edges.map((edge) =>
          h(
            'li',
            {},
            h('a', { href: href('entity', edge.from) }, edge.from),
            ` —${edge.property}→ `,
            h('a', { href: href('entity', edge.to) }, edge.to),
          ),
        ),
      );
    } catch (caught) {
      if (mine !== generation) return;
      error.textContent = describeError(caught);
      error.hidden = false;
    }
  };
  hopsSelect.addEventListener('change', () => {
    hops = hopsSelect.value === '2' ? 2 : 1;
    replaceParams({ hops: String(hops) });
    void load();
  });

  main.append(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, h('span', { class: 'kind' }, 'Neighbourhood of '), id),
      live,
      h('a', { href: href('entity', id), class: 'button secondary' }, 'Entity page'),
    ),
    h(
      'div',
      { class: 'controls card' },
      h('label', { for: 'graph-hops' }, 'Distance'),
      hopsSelect,
      summary,
    ),
    error,
    picture,
    h('details', { class: 'card' }, h('summary', {}, 'Links as text'), list),
  );
  void load();
  const refresh = throttle(() => void load(), 250);
  const stop = watchDeltas((delta) => {
    const touches = delta.pointers.some(
      (pointer) =>
        typeof pointer.target === 'object' &&
        pointer.target !== null &&
        shown.has(pointer.target.id),
    );
    if (touches) refresh.schedule();
  }, liveState(live));
  return () => {
    generation++;
    refresh.cancel();
    stop();
  };
}
