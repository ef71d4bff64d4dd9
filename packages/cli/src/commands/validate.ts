import type { ValidationProblem, ValidationReport } from '@rhizome/api';
import { z } from 'zod';
import type { Command } from '../command.ts';
import { formatJson, formatTable } from '../format.ts';
import { parseAsOfOption, parseInput, positiveIntegerInput } from '../inputs.ts';

const schemaName = z.string().min(1, 'is required');

function describeProblem(problem: ValidationProblem): string {
  switch (problem.code) {
    case 'MISSING':
      return 'required, no value';
    case 'IGNORED_VALUES':
      return `expected ${problem.expected}, found ${problem.found.join(', ')} in ${problem.count} delta(s): ${problem.deltas.join(' ')}`;
    case 'WRONG_TYPE':
      return `resolved to ${problem.found}, expected ${problem.expected}`;
    case 'REFERENCE_UNRESOLVED': {
      const more =
        problem.count > problem.ids.length ? ` (+${problem.count - problem.ids.length})` : '';
      return `no ${problem.target}: ${problem.ids.join(' ')}${more}`;
    }
  }
}

const problemRows = (reports: readonly ValidationReport[]): string[][] =>
  reports.flatMap((report) =>
    report.problems.map((problem) => [
      report.id,
      problem.property,
      problem.code,
      describeProblem(problem),
    ]),
  );

const COLUMNS = ['id', 'property', 'problem', 'detail'];

export const validateCommand: Command = {
  name: 'validate',
  summary:
    "a schema's invalid entities (missing required properties, values of the wrong kind, dangling references)",
  usage: 'validate <schema> [<entity>] [--limit <n>] [--cursor <c>] [--as-of <ms>]',
  optionHelp: [
    "with <entity>: that entity's report; without: the invalid entities, a page at a time",
    '--limit <n>          at most this many invalid entities (default 100, at most 1,000)',
    "--cursor <c>         continue after the previous page (its 'next' cursor)",
    '--as-of <ms>         read as if only deltas created at or before this time existed',
  ],
  options: {
    limit: { type: 'string' },
    cursor: { type: 'string' },
    'as-of': { type: 'string' },
  },
  async run({ args, options, json, io, remote }) {
    const name = parseInput(schemaName, args[0] ?? '', 'schema');
    const asOf = parseAsOfOption(options['as-of']);
    const entity = args[1];
    if (entity !== undefined) {
      const report = await remote().call((client) =>
        client.schemas.validate.query({
          name,
          id: entity,
          ...(asOf === undefined ? {} : { asOf }),
        }),
      );
      io.stdout.write(
        json
          ? formatJson(report)
          : report.valid
            ? `${report.id}: valid under ${report.schema}\n`
            : formatTable(COLUMNS, problemRows([report])),
      );
      return 0;
    }
    const limit =
      typeof options.limit === 'string'
        ? parseInput(positiveIntegerInput(1000), options.limit, '--limit')
        : undefined;
    const cursor = typeof options.cursor === 'string' ? options.cursor : undefined;
    const page = await remote().call((client) =>
      client.schemas.invalid.query({
        name,
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
        ...(asOf === undefined ? {} : { asOf }),
      }),
    );
    if (json) {
      io.stdout.write(formatJson(page));
      return 0;
    }
    let out =
      page.reports.length === 0
        ? 'no invalid entities in this page\n'
        : formatTable(COLUMNS, problemRows(page.reports));
    out += `scanned: ${page.scanned}\n`;
    if (page.cursor !== null) out += `next: ${page.cursor}\n`;
    io.stdout.write(out);
    return 0;
  },
};
