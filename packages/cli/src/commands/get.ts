import type { Command } from '../command.ts';
import { formatJson, formatTable, formatValue } from '../format.ts';
import {
  entityIdInput,
  parseAsOfOption,
  parseInput,
  parseTrustOptions,
  TRUST_HELP,
  TRUST_OPTIONS,
} from '../inputs.ts';

export const getCommand: Command = {
  name: 'get',
  summary: "an entity's resolved view",
  usage: 'get <entity> [--schema <name>] [--as-of <ms>] [--trust <a,b>] [--signed]',
  optionHelp: [
    '--schema <name>   resolve under this schema (default: every property, last-write-wins)',
    '--as-of <ms>      read as if only deltas created at or before this time existed',
    ...TRUST_HELP,
  ],
  options: { schema: { type: 'string' }, 'as-of': { type: 'string' }, ...TRUST_OPTIONS },
  async run({ args, options, json, io, remote }) {
    const id = parseInput(entityIdInput, args[0] ?? '', 'entity');
    const asOf = parseAsOfOption(options['as-of']);
    const schema = typeof options.schema === 'string' ? options.schema : undefined;
    const trust = parseTrustOptions(options.trust, options.signed);
    const view = await remote().call((client) =>
      client.entities.get.query({
        id,
        ...(schema === undefined ? {} : { schema }),
        ...(asOf === undefined ? {} : { asOf }),
        ...trust,
      }),
    );
    if (json) {
      io.stdout.write(formatJson(view));
    } else {
      const rows = Object.entries(view)
        .filter(([key]) => key !== 'id')
        .map(([key, value]) => [key, formatValue(value)]);
      io.stdout.write(`entity ${view.id}\n${formatTable(['property', 'value'], rows)}`);
    }
    return 0;
  },
};
