import type { Command } from '../command.ts';
import { formatJson, formatTable, formatValue } from '../format.ts';

export const statusCommand: Command = {
  name: 'status',
  summary: "the node's id and counts",
  usage: 'status',
  async run({ json, io, remote }) {
    const node = remote();
    const status = await node.call((client) => client.node.status.query());
    if (json) {
      io.stdout.write(formatJson({ url: node.url, ...status }));
    } else {
      const rows = [
        ['url', node.url],
        ...Object.entries(status).map(([k, v]) => [k, formatValue(v)]),
      ];
      io.stdout.write(formatTable(['field', 'value'], rows));
    }
    return 0;
  },
};
