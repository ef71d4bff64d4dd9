import { api, describeError, errorCode, type PeerList } from '../api.ts';
import { h } from '../dom.ts';
import type { Route } from '../route.ts';

const POLL_MS = 2000;
/** Codes meaning "this node has no peers to show": sync is off, or the procedure is absent. */
const NO_SYNC = new Set(['SYNC_DISABLED', 'ROUTE_NOT_FOUND', 'NOT_FOUND']);

function stat(label: string, value: HTMLElement): HTMLElement {
  return h('div', { class: 'stat' }, h('dt', {}, label), h('dd', {}, value));
}

/**
 * The node's own counts and ingest rate, and each peer's state, lag and last error; polled. Peers
 * can be added and removed here too, with an admin token.
 */
export function renderPeers(main: HTMLElement, _route: Route): () => void {
  const values = {
    node: h('span', { id: 'stat-node' }, '…'),
    deltas: h('span', { id: 'stat-deltas' }, '…'),
    entities: h('span', { id: 'stat-entities' }, '…'),
    lastSeq: h('span', { id: 'stat-last-seq' }, '…'),
    subscriptions: h('span', { id: 'stat-subscriptions' }, '…'),
    rate: h('span', { id: 'stat-rate' }, 'measuring…'),
  };
  const peersBox = h('div', { class: 'peers-box', 'aria-live': 'polite' });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  let previous: { deltas: number; at: number } | undefined;
  let stopped = false;

  const peerTable = (list: PeerList): HTMLElement => {
    if (list.peers.length === 0)
      return h('p', { class: 'empty' }, 'Sync is enabled, but the node has no peers yet.');
    return h(
      'table',
      { class: 'peers card' },
      h('caption', { class: 'sr-only' }, 'Peers'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [
            'Address',
            'Origin',
            'Node',
            'State',
            'Direction',
            'Lag',
            'Received',
            'Sent',
            'Failures',
            'Last error',
            '',
          ].map((name) => h('th', { scope: 'col' }, name)),
        ),
      ),
      h(
        'tbody',
        {},
        list.peers.map((peer) =>
          h(
            'tr',
            { 'data-state': peer.state },
            h(
              'td',
              {},
              peer.address ?? '—',
              peer.seed ? [' ', h('span', { class: 'badge' }, 'seed')] : null,
            ),
            h('td', {}, peer.origin ?? '—'),
            h('td', {}, peer.nodeId ?? '—'),
            h(
              'td',
              {},
              h(
                'span',
                { class: `badge peer-${peer.state}` },
                peer.connected ? `${peer.state} · connected` : peer.state,
              ),
            ),
            h('td', {}, peer.direction),
            h('td', { class: 'num' }, peer.lag),
            h('td', { class: 'num' }, peer.deltasReceived),
            h('td', { class: 'num' }, peer.deltasSent),
            h('td', { class: 'num' }, peer.failures),
            h('td', { class: peer.lastError === null ? '' : 'error-text' }, peer.lastError ?? '—'),
            h(
              'td',
              {},
              // Configured peers are removed from RHIZOME_PEERS, and inbound links are the
              // other node's to drop: only the rest get a button.
              peer.direction === 'outbound' && peer.address !== null && peer.origin !== 'config'
                ? h(
                    'button',
                    {
                      type: 'button',
                      class: 'small secondary',
                      'aria-label': `Remove ${peer.address}`,
                      onclick: () => void change(() => removePeer(peer.address!)),
                    },
                    'Remove',
                  )
                : null,
            ),
          ),
        ),
      ),
    );
  };

  const removePeer = (address: string) => api().peers.remove.mutate({ address });
  /** Adds or removes a peer (an admin token is needed), then shows the list as it now is. */
  const change = async (work: () => Promise<unknown>): Promise<void> => {
    try {
      await work();
      error.hidden = true;
    } catch (caught) {
      error.textContent = describeError(caught);
      error.hidden = false;
      return;
    }
    await poll();
  };
  const addressInput = h('input', {
    id: 'peer-address',
    type: 'text',
    required: true,
    placeholder: 'ws://host:8080/sync',
  });
  const addForm = h(
    'form',
    {
      class: 'add-peer',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const address = addressInput.value.trim();
        void change(async () => {
          await api().peers.add.mutate({ address });
          addressInput.value = '';
        });
      },
    },
    h('label', { for: 'peer-address' }, 'Peer address'),
    ' ',
    addressInput,
    ' ',
    h('button', { type: 'submit' }, 'Add peer'),
  );

  const poll = async (): Promise<void> => {
    try {
      const status = await api().node.status.query();
      const now = performance.now();
      values.node.textContent = status.nodeId;
      values.deltas.textContent = String(status.deltas);
      values.entities.textContent = String(status.entities);
      values.lastSeq.textContent = String(status.lastSeq);
      values.subscriptions.textContent = String(status.subscriptions);
      if (previous !== undefined && now > previous.at) {
        const rate = ((status.deltas - previous.deltas) * 1000) / (now - previous.at);
        values.rate.textContent = `${rate.toFixed(1)} deltas/s`;
      }
      previous = { deltas: status.deltas, at: now };
      error.hidden = true;
    } catch (caught) {
      error.textContent = describeError(caught);
      error.hidden = false;
    }
    try {
      peersBox.replaceChildren(peerTable(await api().peers.list.query()));
    } catch (caught) {
      const code = errorCode(caught);
      peersBox.replaceChildren(
        code !== undefined && NO_SYNC.has(code)
          ? h(
              'p',
              { class: 'empty', id: 'sync-disabled' },
              'Sync is not enabled on this node: it has no peers.',
            )
          : h('p', { class: 'error', role: 'alert' }, describeError(caught)),
      );
    }
  };

  main.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Peers')),
    error,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'node-heading' },
      h('h2', { id: 'node-heading' }, 'This node'),
      h(
        'dl',
        { class: 'stats' },
        stat('Node id', values.node),
        stat('Deltas', values.deltas),
        stat('Entities', values.entities),
        stat('Last sequence', values.lastSeq),
        stat('Open subscriptions', values.subscriptions),
        stat('Ingest rate', values.rate),
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'peers-heading' },
      h('h2', { id: 'peers-heading' }, 'Peers'),
      addForm,
      peersBox,
    ),
  );

  const loop = async (): Promise<void> => {
    while (!stopped) {
      await poll();
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };
  void loop();
  return () => {
    stopped = true;
  };
}
