import { z } from 'zod';
import type { Command } from '../command.ts';
import { formatJson, formatTable, formatValue } from '../format.ts';
import { parseInput } from '../inputs.ts';

export const peersCommand: Command = {
  name: 'peers',
  summary: "the node's sync links: state, lag, last error",
  usage: 'peers',
  async run({ json, io, remote }) {
    const { peers } = await remote().call((client) => client.peers.list.query());
    if (json) {
      io.stdout.write(formatJson({ peers }));
    } else {
      const rows = peers.map((peer) => [
        peer.address ?? '-',
        peer.direction,
        peer.nodeId ?? '-',
        peer.state,
        formatValue(peer.lag),
        formatValue(peer.deltasReceived),
        formatValue(peer.deltasSent),
        peer.lastError ?? '',
      ]);
      io.stdout.write(
        formatTable(
          ['address', 'direction', 'node', 'state', 'lag', 'received', 'sent', 'last error'],
          rows,
        ),
      );
    }
    return 0;
  },
};

export const peersAddCommand: Command = {
  name: 'peers add',
  summary: "link the node to another node's sync endpoint (needs admin)",
  usage: 'peers add <address>',
  optionHelp: [
    '<address>  ws://host:port/sync of the other node (http://host:port is accepted too)',
    'The node keeps the link up, redialling with backoff, and saves it: it is dialled again after',
    'a restart until `rhizome peers remove`. `rhizome peers` shows its state.',
  ],
  async run({ args, json, io, remote }) {
    const address = parseInput(z.string().min(1, 'is required'), args[0] ?? '', 'address');
    const { peer } = await remote().call((client) => client.peers.add.mutate({ address }));
    io.stdout.write(json ? formatJson({ peer }) : `peer added: ${peer.address} (${peer.state})\n`);
    return 0;
  },
};

export const peersRemoveCommand: Command = {
  name: 'peers remove',
  summary: 'stop syncing with a peer added with `peers add` (needs admin)',
  usage: 'peers remove <address>',
  optionHelp: [
    '<address>  the address as `rhizome peers` lists it (http://host:port is accepted too)',
    'The node closes the link and forgets the peer. Peers from RHIZOME_PEERS are removed there.',
  ],
  async run({ args, json, io, remote }) {
    const address = parseInput(z.string().min(1, 'is required'), args[0] ?? '', 'address');
    const removed = await remote().call((client) => client.peers.remove.mutate({ address }));
    io.stdout.write(json ? formatJson(removed) : `peer removed: ${removed.address}\n`);
    return 0;
  },
};
