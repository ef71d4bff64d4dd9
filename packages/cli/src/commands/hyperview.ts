import type { Command } from '../command.ts';
import { formatJson, formatTable } from '../format.ts';
import {
  entityIdInput,
  parseAsOfOption,
  parseInput,
  parseTrustOptions,
  TRUST_HELP,
  TRUST_OPTIONS,
} from '../inputs.ts';

export const hyperviewCommand: Command = {
  name: 'hyperview',
  summary: 'every visible delta of an entity, per property',
  usage: 'hyperview <entity> [--as-of <ms>] [--trust <a,b>] [--signed]',
  optionHelp: [
    '--as-of <ms>      read as if only deltas created at or before this time existed',
    ...TRUST_HELP,
  ],
  options: { 'as-of': { type: 'string' }, ...TRUST_OPTIONS },
  async run({ args, options, json, io, remote }) {
    const id = parseInput(entityIdInput, args[0] ?? '', 'entity');
    const asOf = parseAsOfOption(options['as-of']);
    const trust = parseTrustOptions(options.trust, options.signed);
    const hyperview = await remote().call((client) =>
      client.entities.hyperview.query({
        id,
        ...(asOf === undefined ? {} : { asOf }),
        ...trust,
        verification: true,
      }),
    );
    const verified = new Set(hyperview.verified ?? []);
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
        verified.has(delta.id) ? 'yes' : 'no',
      ]),
    );
    io.stdout.write(
      `entity ${hyperview.id}\n${formatTable(['property', 'delta', 'created', 'creator', 'verified'], rows)}`,
    );
    return 0;
  },
};
