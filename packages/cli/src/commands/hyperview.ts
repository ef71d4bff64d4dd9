import type { Command } from '../command.ts';
import { formatJson, formatTable } from '../format.ts';
import { entityIdInput, parseAsOfOption, parseInput } from '../inputs.ts';

export const hyperviewCommand: Command = {
  name: 'hyperview',
  summary: 'every visible delta of an entity, per property',
  usage: 'hyperview <entity> [--as-of <ms>]',
  optionHelp: ['--as-of <ms>      read as if only deltas created at or before this time existed'],
  options: { 'as-of': { type: 'string' } },
  async run({ args, options, json, io, remote }) {
    const id = parseInput(entityIdInput, args[0] ?? '', 'entity');
    const asOf = parseAsOfOption(options['as-of']);
    const hyperview = await remote().call((client) =>
      client.entities.hyperview.query(asOf === undefined ? { id } : { id, asOf }),
    );
    if (json) {
      io.stdout.write(formatJson(hyperview));
      return 0;
    }
    const rows = Object.entries(hyperview.properties).flatMap(([property, deltas]) =>
      deltas.map((delta) => [
        property,
        delta.id,
        new Date(delta.timeCreated).toISOString(),
        delta.creator,
      ]),
    );
    io.stdout.write(
      `entity ${hyperview.id}\n${formatTable(['property', 'delta', 'created', 'creator'], rows)}`,
    );
    return 0;
  },
};
