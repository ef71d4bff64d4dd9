import { api, describeError, liveState, watchDeltas, type EntityPage } from '../api.ts';
import { debounce, h, href, throttle } from '../dom.ts';
import { replaceParams, type Route } from '../route.ts';

/** Entities by id prefix and schema, with counts; refreshed when new deltas arrive. */
export function renderList(main: HTMLElement, route: Route): () => void {
  const prefixInput = h('input', {
    id: 'search-prefix',
    type: 'search',
    placeholder: 'e.g. person:',
    value: route.params.get('prefix') ?? '',
    autocomplete: 'off',
  });
  const schemaSelect = h('select', { id: 'search-schema' }, h('option', { value: '' }, 'any'));
  const summary = h('p', { class: 'summary', role: 'status', 'aria-live': 'polite' }, 'Loading…');
  const counts = h('p', { class: 'counts' });
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const live = h('span', { class: 'live' });
  let cursor: string | null = null;
  let generation = 0;

  const rowOf = (entity: EntityPage['entities'][number]) =>
    h(
      'tr',
      {},
      h('td', {}, h('a', { href: href('entity', entity.id) }, entity.id)),
      h('td', { class: 'num' }, entity.properties),
      h('td', { class: 'num' }, entity.deltas),
      h('td', {}, h('a', { href: href('graph', entity.id), class: 'subtle' }, 'graph')),
    );

  const load = async (append: boolean): Promise<void> => {
    const mine = ++generation;
    const prefix = prefixInput.value;
    const schema = schemaSelect.value;
    replaceParams({ prefix, schema });
    try {
      const [page, status] = await Promise.all([
        api().explorer.entities.query({
          ...(prefix === '' ? {} : { prefix }),
          ...(schema === '' ? {} : { schema }),
          ...(append && cursor !== null ? { after: cursor } : {}),
          limit: 50,
        }),
        api().node.status.query(),
      ]);
      if (mine !== generation) return;
      error.hidden = true;
      cursor = page.cursor;
      more.hidden = cursor === null;
      if (append) body.append(...page.entities.map(rowOf));
      else body.replaceChildren(...page.entities.map(rowOf));
      const what = [
        prefix === '' ? '' : `id starting with “${prefix}”`,
        schema === '' ? '' : `schema ${schema}`,
      ]
        .filter((part) => part !== '')
        .join(' and ');
      summary.textContent = `${page.totalCapped ? 'at least ' : ''}${page.total} ${page.total === 1 ? 'entity' : 'entities'}${what === '' ? '' : ` with ${what}`}`;
      counts.textContent = `The node holds ${status.deltas} deltas about ${status.entities} entities.`;
    } catch (caught) {
      if (mine !== generation) return;
      error.textContent = describeError(caught);
      error.hidden = false;
      summary.textContent = '';
    }
  };

  const typing = debounce(() => void load(false), 250);
  prefixInput.addEventListener('input', () => typing.schedule());
  schemaSelect.addEventListener('change', () => void load(false));
  more.addEventListener('click', () => void load(true));
  const refresh = throttle(() => void load(false), 500);

  api()
    .schemas.list.query()
    .then((schemas) => {
      for (const schema of schemas)
        schemaSelect.append(h('option', { value: schema.name }, schema.name));
      schemaSelect.value = route.params.get('schema') ?? '';
      void load(false);
    })
    .catch((caught: unknown) => {
      error.textContent = describeError(caught);
      error.hidden = false;
      summary.textContent = '';
    });

  main.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Entities'), live),
    h(
      'form',
      {
        class: 'search card',
        role: 'search',
        onsubmit: (event: Event) => {
          event.preventDefault();
          void load(false);
        },
      },
      h('label', { for: 'search-prefix' }, 'Id prefix'),
      prefixInput,
      h('label', { for: 'search-schema' }, 'Schema'),
      schemaSelect,
      h('button', { type: 'submit' }, 'Search'),
    ),
    error,
    h('div', { class: 'row-between' }, summary, counts),
    h(
      'table',
      { class: 'entities card' },
      h('caption', { class: 'sr-only' }, 'Matching entities'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Entity'),
          h('th', { scope: 'col', class: 'num' }, 'Properties'),
          h('th', { scope: 'col', class: 'num' }, 'Visible deltas'),
          h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Graph')),
        ),
      ),
      body,
    ),
    more,
  );
  const stop = watchDeltas(() => refresh.schedule(), liveState(live));
  return () => {
    generation++;
    typing.cancel();
    refresh.cancel();
    stop();
  };
}
