import { parseOrderByText, type QueryInput } from '@rhizome/api';
import type { Command } from '../command.ts';
import { createUsageError } from '../errors.ts';
import { formatJson, formatTable, formatValue } from '../format.ts';
import {
  parseAsOfOption,
  parseInput,
  parseTrustOptions,
  positiveIntegerInput,
  TRUST_HELP,
  TRUST_OPTIONS,
} from '../inputs.ts';

// Only JSON syntax is checked here; the filter itself by the node.
function parseWhereOption(value: unknown): QueryInput['where'] {
  if (typeof value !== 'string') return undefined;
  try {
    return JSON.parse(value) as QueryInput['where'];
  } catch {
    throw createUsageError('--where: not valid JSON', { path: ['where'] });
  }
}

// The short form's syntax is checked here; everything else about the query by the node
// (QUERY_INVALID with the path of the bad part).
function parseOrderByOption(value: unknown) {
  if (typeof value !== 'string') return undefined;
  try {
    return parseOrderByText(value);
  } catch (error) {
    throw createUsageError(`--order-by: ${(error as Error).message}`, { path: ['orderBy'] });
  }
}

export const queryCommand: Command = {
  name: 'query',
  summary: 'entities of a schema matching a filter, sorted and paged',
  usage:
    'query <schema> [--where <json>] [--order-by <property[:asc|desc]>,…] [--count] [--limit <n>] [--cursor <c>] [--as-of <ms>] [--trust <a,b>] [--signed]',
  optionHelp: [
    `--where <json>       filter, e.g. '{"or":[{"age":{"gte":18}},{"name":{"startsWith":"A"}}]}'`,
    '--order-by <keys>    sort keys, e.g. age:desc,name (or a JSON array of { property, direction })',
    '--count              also print how many entities match in all',
    '--limit <n>          at most this many entities (default 100, at most 1,000)',
    "--cursor <c>         continue after the previous page (its 'next' cursor)",
    '--as-of <ms>         read as if only deltas created at or before this time existed',
    ...TRUST_HELP,
  ],
  options: {
    where: { type: 'string' },
    'order-by': { type: 'string' },
    count: { type: 'boolean' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    'as-of': { type: 'string' },
    ...TRUST_OPTIONS,
  },
  async run({ args, options, json, io, remote }) {
    const schema = args[0];
    if (schema === undefined || schema === '') throw createUsageError('query needs a schema name');
    const where = parseWhereOption(options.where);
    const orderBy = parseOrderByOption(options['order-by']);
    const count = options.count === true ? true : undefined;
    const limit =
      typeof options.limit === 'string'
        ? parseInput(positiveIntegerInput(1000), options.limit, '--limit')
        : undefined;
    const cursor = typeof options.cursor === 'string' ? options.cursor : undefined;
    const asOf = parseAsOfOption(options['as-of']);
    const trust = parseTrustOptions(options.trust, options.signed);
    const page = await remote().call((client) =>
      client.entities.query.query({
        schema,
        ...(where === undefined ? {} : { where }),
        ...(orderBy === undefined ? {} : { orderBy }),
        ...(count === undefined ? {} : { count }),
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
        ...(asOf === undefined ? {} : { asOf }),
        ...trust,
      }),
    );
    if (json) {
      io.stdout.write(formatJson(page));
      return 0;
    }
    const columns = ['id'];
    for (const entity of page.entities)
      for (const key of Object.keys(entity)) if (!columns.includes(key)) columns.push(key);
    const rows = page.entities.map((entity) =>
      columns.map((column) => formatValue((entity as Record<string, unknown>)[column])),
    );
    let out = formatTable(columns, rows);
    if (page.total !== undefined) out += `total: ${page.total}\n`;
    if (page.cursor !== null) out += `next: ${page.cursor}\n`;
    io.stdout.write(out);
    return 0;
  },
};
