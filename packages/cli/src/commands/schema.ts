import { z } from 'zod';
import type { Command } from '../command.ts';
import { formatJson, formatTable } from '../format.ts';
import { readJsonFile, resolvePath } from '../files.ts';
import { parseInput } from '../inputs.ts';

const schemaName = z.string().min(1, 'is required');
const schemaBody = z.record(z.string(), z.unknown(), { error: 'must be a JSON object' });

export const schemaPutCommand: Command = {
  name: 'schema put',
  summary: 'store a schema (JSON file) under a name (needs admin)',
  usage: 'schema put <name> <file.json>',
  async run({ args, json, io, remote }) {
    const name = parseInput(schemaName, args[0] ?? '', 'name');
    const file = parseInput(z.string().min(1, 'is required'), args[1] ?? '', 'file');
    const schema = parseInput(schemaBody, await readJsonFile(resolvePath(io.cwd, file)), file);
    const result = await remote().call((client) => client.schemas.put.mutate({ name, schema }));
    io.stdout.write(json ? formatJson(result) : `stored schema ${name} (${result.id})\n`);
    return 0;
  },
};

export const schemaGetCommand: Command = {
  name: 'schema get',
  summary: 'print a schema as JSON',
  usage: 'schema get <name>',
  async run({ args, io, remote }) {
    const name = parseInput(schemaName, args[0] ?? '', 'name');
    const schema = await remote().call((client) => client.schemas.get.query({ name }));
    // A schema is JSON either way: the readable form is the pretty-printed document.
    io.stdout.write(formatJson(schema));
    return 0;
  },
};

export const schemaListCommand: Command = {
  name: 'schema list',
  summary: 'the schemas the node holds',
  usage: 'schema list',
  async run({ json, io, remote }) {
    const schemas = await remote().call((client) => client.schemas.list.query());
    if (json) {
      io.stdout.write(formatJson({ schemas }));
    } else {
      const rows = schemas.map((schema) => [
        schema.name,
        Object.keys(schema.properties).join(', '),
      ]);
      io.stdout.write(formatTable(['name', 'properties'], rows));
    }
    return 0;
  },
};
