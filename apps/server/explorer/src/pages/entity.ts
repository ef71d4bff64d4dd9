import {
  api,
  describeError,
  errorCode,
  liveState,
  watchDeltas,
  type Delta,
  type InspectedDelta,
  type InspectedProperty,
  type Inspection,
} from '../api.ts';
import { formatTime, formatValue, h, href, shortId, throttle, type Child } from '../dom.ts';
import { replaceParams, type Route } from '../route.ts';

type PropertyValue = string | number | boolean | null | { id: string };

const STATUS_TEXT: Record<InspectedDelta['status'], string> = {
  visible: 'visible',
  negated: 'negated',
  'pending-transaction': 'pending transaction',
  'after-as-of': 'after as-of',
};

function isReference(value: unknown): value is { id: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { id?: unknown }).id === 'string'
  );
}

/** A value, with references as links to their entity page. */
function valueNode(value: unknown): Child {
  if (isReference(value)) {
    const link = h('a', { href: href('entity', value.id), class: 'ref' }, `→ ${value.id}`);
    const { id: _id, ...nested } = value as Record<string, unknown>;
    // A schema's reference comes back expanded: show the nested view after the link.
    return Object.keys(nested).length === 0
      ? link
      : h('span', {}, link, ' ', h('code', { class: 'nested' }, formatValue(nested)));
  }
  if (Array.isArray(value) && value.length > 0 && value.every(isReference))
    return h(
      'span',
      {},
      value.map((item, i) => [i > 0 ? ', ' : '', valueNode(item)]),
    );
  return h('code', {}, formatValue(value));
}

/** Reads the write form's value in the chosen type; throws a message for a bad one. */
function parseValue(text: string, type: string): PropertyValue {
  switch (type) {
    case 'number': {
      const number = Number(text);
      if (text.trim() === '' || !Number.isFinite(number))
        throw new Error(`"${text}" is not a number`);
      return number;
    }
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw new Error('a boolean is "true" or "false"');
      return text === 'true';
    case 'null':
      return null;
    case 'reference':
      if (text.trim() === '') throw new Error('a reference needs an entity id');
      return { id: text.trim() };
    default:
      return text;
  }
}

/**
 * One entity: its resolved view (under a schema or none, as of a time), and beside each property
 * every delta with its status and the resolver's choice. Follows the delta stream, and writes
 * (set a property, negate a delta) with the token of the page.
 */
export function renderEntity(main: HTMLElement, route: Route): () => void {
  const id = route.id;
  let schema = route.params.get('schema') ?? '';
  const asOfParam = route.params.get('asOf');
  let asOf: number | undefined =
    asOfParam === null || asOfParam === '' ? undefined : Number(asOfParam);
  if (asOf !== undefined && !Number.isSafeInteger(asOf)) asOf = undefined;
  let inspection: Inspection | undefined;
  let generation = 0;

  const live = h('span', { class: 'live' });
  const schemaSelect = h(
    'select',
    { id: 'entity-schema' },
    h('option', { value: '' }, 'none (every property, last-write-wins)'),
  );
  const slider = h('input', { id: 'as-of', type: 'range', min: 0, max: 0, step: 1, value: 0 });
  const sliderText = h('output', { for: 'as-of', id: 'as-of-text' }, 'now');
  const nowButton = h('button', { type: 'button', class: 'secondary' }, 'Now');
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const viewBox = h('div', { class: 'view card', 'aria-live': 'polite' });
  const propertiesBox = h('div', { class: 'properties' });
  const writeStatus = h('p', { class: 'write-status', role: 'status', 'aria-live': 'polite' });
  const writeError = h('p', { class: 'error', role: 'alert', hidden: true });

  const showWriteError = (caught: unknown): void => {
    writeError.textContent = describeError(caught);
    writeError.hidden = false;
    writeStatus.textContent = '';
  };
  const showWritten = (text: string): void => {
    writeError.hidden = true;
    writeStatus.textContent = text;
  };

  const negate = async (deltaId: string): Promise<void> => {
    try {
      const result = await api().deltas.negate.mutate({ id: deltaId });
      showWritten(`Negated ${shortId(deltaId)} with delta ${shortId(result.id)}.`);
      void load();
    } catch (caught) {
      showWriteError(caught);
    }
  };

  const statusCell = (row: InspectedDelta): HTMLElement => {
    const parts: Child[] = [
      h('span', { class: `badge status-${row.status}` }, STATUS_TEXT[row.status]),
    ];
    if (row.chosen) parts.push(' ', h('span', { class: 'badge chosen' }, 'chosen'));
    if (row.status === 'negated') {
      const by = row.negatedBy
        .map(
          (negation) =>
            `${shortId(negation.id)} (${negation.creator}, ${formatTime(negation.timeCreated)})`,
        )
        .join('; ');
      parts.push(
        h(
          'div',
          { class: 'note' },
          row.undecided ? `undecided negation cycle: ${by}` : `negated by ${by}`,
        ),
      );
    }
    if (row.status === 'pending-transaction') {
      parts.push(
        h(
          'div',
          { class: 'note' },
          row.transactions
            .map((tx) => `transaction ${shortId(tx.transactionId)} is ${tx.state}`)
            .join('; '),
        ),
      );
    }
    if (row.excluded !== null) parts.push(h('div', { class: 'note' }, `ignored: ${row.excluded}`));
    return h('td', {}, parts);
  };

  const deltaRow = (row: InspectedDelta): HTMLElement => {
    const struck = row.status === 'negated' || row.status === 'pending-transaction';
    const value = valueNode(row.value);
    return h(
      'tr',
      {
        class: `delta status-${row.status}${row.chosen ? ' is-chosen' : ''}`,
        'data-delta-id': row.delta.id,
        'data-status': row.status,
      },
      h('td', { class: 'value' }, struck ? h('del', {}, value) : value),
      h('td', {}, row.delta.creator),
      h(
        'td',
        { class: 'time' },
        h(
          'time',
          { datetime: new Date(row.delta.timeCreated).toISOString() },
          formatTime(row.delta.timeCreated),
        ),
      ),
      h('td', { class: 'host' }, row.delta.host),
      statusCell(row),
      h('td', {}, h('code', { title: row.delta.id }, shortId(row.delta.id))),
      h(
        'td',
        {},
        row.status === 'visible'
          ? h(
              'button',
              {
                type: 'button',
                class: 'small danger',
                'aria-label': `Negate delta ${row.delta.id}`,
                onclick: () => void negate(row.delta.id),
              },
              'Negate',
            )
          : null,
      ),
    );
  };

  const propertySection = (property: InspectedProperty): HTMLElement => {
    const headingId = `property-${property.name}`;
    return h(
      'section',
      { class: 'property card', 'aria-labelledby': headingId, 'data-property': property.name },
      h(
        'header',
        {},
        h('h3', { id: headingId }, property.name),
        property.resolver === null ? null : h('span', { class: 'resolver' }, property.resolver),
        h(
          'span',
          { class: 'resolved' },
          '= ',
          'value' in property ? valueNode(property.value) : h('em', {}, 'no value'),
        ),
      ),
      h('p', { class: 'reason' }, property.reason),
      h(
        'table',
        { class: 'deltas' },
        h('caption', { class: 'sr-only' }, `Deltas of ${property.name}`),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Value', 'Creator', 'Time (UTC)', 'Host', 'Status', 'Delta'].map((name) =>
              h('th', { scope: 'col' }, name),
            ),
            h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')),
          ),
        ),
        h('tbody', {}, property.deltas.map(deltaRow)),
      ),
    );
  };

  const renderView = (view: Record<string, unknown> | null): void => {
    if (view === null) {
      viewBox.replaceChildren(
        h('h2', {}, 'Resolved view'),
        h('p', { class: 'empty' }, 'No visible delta at this time.'),
      );
      return;
    }
    const entries = Object.entries(view).filter(([key]) => key !== 'id');
    viewBox.replaceChildren(
      h('h2', {}, 'Resolved view'),
      entries.length === 0
        ? h('p', { class: 'empty' }, 'No properties.')
        : h(
            'dl',
            { class: 'resolved-view' },
            entries.map(([key, value]) => [
              h('dt', {}, key),
              h('dd', { 'data-property': key }, valueNode(value)),
            ]),
          ),
    );
  };

  const syncSlider = (times: readonly number[]): void => {
    slider.max = String(times.length);
    let position = times.length;
    if (asOf !== undefined) {
      position = 0;
      while (position < times.length && times[position]! <= asOf) position++;
      position = Math.max(0, position - 1);
    }
    slider.value = String(position);
    describeSlider(times);
  };

  const describeSlider = (times: readonly number[]): void => {
    const position = Number(slider.value);
    const time = times[position];
    const text =
      time === undefined
        ? `now (${times.length} moments)`
        : `${formatTime(time)} UTC — moment ${position + 1} of ${times.length}`;
    sliderText.textContent = text;
    slider.setAttribute('aria-valuetext', text);
  };

  const load = async (): Promise<void> => {
    const mine = ++generation;
    const read = {
      id,
      ...(schema === '' ? {} : { schema }),
      ...(asOf === undefined ? {} : { asOf }),
    };
    try {
      const [next, view] = await Promise.all([
        api().explorer.inspect.query(read),
        api()
          .entities.get.query(read)
          .catch((caught: unknown) => {
            if (errorCode(caught) === 'ENTITY_NOT_FOUND') return null;
            throw caught;
          }),
      ]);
      if (mine !== generation) return;
      inspection = next;
      error.hidden = true;
      renderView(view as Record<string, unknown> | null);
      syncSlider(next.times);
      propertiesBox.replaceChildren(...next.properties.map(propertySection));
      if (next.entityResolver !== null)
        propertiesBox.prepend(
          h(
            'p',
            { class: 'note' },
            `Entity resolver “${next.entityResolver}” decides the whole entity.`,
          ),
        );
    } catch (caught) {
      if (mine !== generation) return;
      error.textContent = describeError(caught);
      error.hidden = false;
    }
  };

  const setAsOf = (next: number | undefined): void => {
    asOf = next;
    replaceParams({ schema, asOf: asOf === undefined ? undefined : String(asOf) });
    void load();
  };
  slider.addEventListener('input', () => describeSlider(inspection?.times ?? []));
  slider.addEventListener('change', () => {
    const times = inspection?.times ?? [];
    setAsOf(times[Number(slider.value)]);
  });
  nowButton.addEventListener('click', () => setAsOf(undefined));
  schemaSelect.addEventListener('change', () => {
    schema = schemaSelect.value;
    setAsOf(asOf);
  });

  const nameInput = h('input', {
    id: 'write-property',
    required: true,
    autocomplete: 'off',
    placeholder: 'name',
  });
  const valueInput = h('input', { id: 'write-value', autocomplete: 'off', placeholder: 'value' });
  const typeSelect = h(
    'select',
    { id: 'write-type' },
    ['string', 'number', 'boolean', 'null', 'reference'].map((type) =>
      h('option', { value: type }, type),
    ),
  );
  const writeForm = h(
    'form',
    {
      class: 'write card',
      'aria-labelledby': 'write-heading',
      onsubmit: (event: Event) => {
        event.preventDefault();
        let value: PropertyValue;
        try {
          value = parseValue(valueInput.value, typeSelect.value);
        } catch (caught) {
          showWriteError(caught);
          return;
        }
        api()
          .entities.put.mutate({ id, properties: { [nameInput.value]: value } })
          .then((result) => {
            showWritten(`Stored delta ${shortId(result.id)} (${result.status}).`);
            void load();
          })
          .catch(showWriteError);
      },
    },
    h('h2', { id: 'write-heading' }, 'Set a property'),
    h(
      'div',
      { class: 'fields' },
      h('label', { for: 'write-property' }, 'Property'),
      nameInput,
      h('label', { for: 'write-value' }, 'Value'),
      valueInput,
      h('label', { for: 'write-type' }, 'Type'),
      typeSelect,
      h('button', { type: 'submit' }, 'Set'),
    ),
    writeStatus,
    writeError,
  );

  main.append(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, h('span', { class: 'kind' }, 'Entity '), id),
      live,
      h('a', { href: href('graph', id), class: 'button secondary' }, 'Neighbourhood graph'),
    ),
    h(
      'div',
      { class: 'controls card' },
      h('label', { for: 'entity-schema' }, 'Schema'),
      schemaSelect,
      h('label', { for: 'as-of' }, 'As of'),
      slider,
      sliderText,
      nowButton,
    ),
    error,
    h('div', { class: 'entity-top' }, viewBox, writeForm),
    h('h2', { class: 'section-title' }, 'Hyperview: every delta of each property'),
    propertiesBox,
  );

  api()
    .schemas.list.query()
    .then((schemas) => {
      for (const item of schemas) schemaSelect.append(h('option', { value: item.name }, item.name));
      schemaSelect.value = schema;
    })
    .catch(() => {});
  void load();

  // A delta matters here when it points at the entity, at a delta on screen (a negation) or at a
  // transaction on screen.
  const refresh = throttle(() => void load(), 150);
  const isRelevant = (delta: Delta): boolean => {
    const shown = new Set<string>([id]);
    for (const property of inspection?.properties ?? []) {
      for (const row of property.deltas) {
        shown.add(row.delta.id);
        for (const negation of row.negatedBy) shown.add(negation.id);
        for (const tx of row.transactions) shown.add(tx.transactionId);
      }
    }
    return delta.pointers.some(
      (pointer) =>
        typeof pointer.target === 'object' &&
        pointer.target !== null &&
        shown.has(pointer.target.id),
    );
  };
  const stop = watchDeltas((delta) => {
    if (isRelevant(delta)) refresh.schedule();
  }, liveState(live));
  return () => {
    generation++;
    refresh.cancel();
    stop();
  };
}
