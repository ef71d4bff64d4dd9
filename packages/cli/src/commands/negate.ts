import { z } from 'zod';
import type { Command } from '../command.ts';
import { formatJson } from '../format.ts';
import { parseInput } from '../inputs.ts';

export const negateCommand: Command = {
  name: 'negate',
  summary: 'write a negation of a delta (hides it from views)',
  usage: 'negate <deltaId>',
  async run({ args, json, io, remote }) {
    const id = parseInput(z.string().min(1, 'is required'), args[0] ?? '', 'deltaId');
    const result = await remote().call((client) => client.deltas.negate.mutate({ id }));
    io.stdout.write(json ? formatJson(result) : `${result.status} ${result.id}\n`);
    return 0;
  },
};
