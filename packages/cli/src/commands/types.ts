import { writeFile } from 'node:fs/promises';
import type { Command } from '../command.ts';
import { createFileUnreadableError, resolvePath } from '../files.ts';
import { formatJson } from '../format.ts';
import { generateTypes } from '../generate-types.ts';

export const typesCommand: Command = {
  name: 'types',
  summary: "write TypeScript types for the node's schemas (for code that loads schemas at runtime)",
  usage: 'types [--out <file.ts>]',
  optionHelp: ['--out <file>      write the declarations here instead of stdout'],
  options: { out: { type: 'string' } },
  async run({ options, json, io, remote }) {
    const node = remote();
    const schemas = await node.call((client) => client.schemas.list.query());
    const text = generateTypes(schemas, node.url);
    if (typeof options.out !== 'string') {
      io.stdout.write(text);
      return 0;
    }
    const out = resolvePath(io.cwd, options.out);
    try {
      await writeFile(out, text);
    } catch (error) {
      throw createFileUnreadableError(out, error);
    }
    const names = schemas.map((schema) => schema.name);
    io.stdout.write(
      json
        ? formatJson({ out, schemas: names })
        : `wrote types for ${names.length} schemas to ${out}\n`,
    );
    return 0;
  },
};
