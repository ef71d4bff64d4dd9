import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Command } from '../command.ts';
import { createFileUnreadableError, resolvePath } from '../files.ts';
import { formatJson } from '../format.ts';
import { parseInput, positiveIntegerInput } from '../inputs.ts';
import { writeChunk } from '../io.ts';
import { createProgress } from '../progress.ts';

export const exportCommand: Command = {
  name: 'export',
  summary: 'every delta of the node as NDJSON, in the order the node stored them',
  usage: 'export [--out <file.ndjson>] [--page-size <n>]',
  optionHelp: [
    '--out <file>      write to this file instead of stdout',
    '--page-size <n>   deltas per request, 1 to 1000 (default 1000)',
  ],
  options: { out: { type: 'string' }, 'page-size': { type: 'string' } },
  async run({ options, json, io, remote }) {
    const pageSize =
      typeof options['page-size'] === 'string'
        ? parseInput(positiveIntegerInput(1000), options['page-size'], '--page-size')
        : 1000;
    const node = remote();
    const outPath = typeof options.out === 'string' ? resolvePath(io.cwd, options.out) : undefined;
    // The total is only for the progress bar; the feed may grow while we page through it.
    const total = io.stderrIsTty ? (await node.call((c) => c.node.status.query())).deltas : 0;
    const progress = createProgress(io.stderr, io.stderrIsTty);

    let out: Writable = io.stdout;
    if (outPath !== undefined) {
      const file = createWriteStream(outPath);
      await new Promise<void>((resolve, reject) => {
        file.once('open', () => resolve());
        file.once('error', (error) => reject(createFileUnreadableError(outPath, error)));
      });
      out = file;
    }
    let count = 0;
    let after: string | undefined;
    let cursor = '';
    try {
      for (;;) {
        const page = await node.call((client) =>
          client.deltas.list.query(
            after === undefined ? { limit: pageSize } : { after, limit: pageSize },
          ),
        );
        if (page.deltas.length > 0) {
          await writeChunk(out, page.deltas.map((delta) => `${JSON.stringify(delta)}\n`).join(''));
          count += page.deltas.length;
        }
        cursor = page.cursor;
        progress.update(`${count} deltas`, total > 0 ? count / total : undefined);
        if (!page.hasMore || page.deltas.length === 0) break;
        after = page.cursor;
      }
    } finally {
      progress.done();
      if (out !== io.stdout) await new Promise<void>((resolve) => out.end(resolve));
    }
    const summary = { deltas: count, cursor, ...(outPath === undefined ? {} : { out: outPath }) };
    // With the deltas on stdout, the summary must not mix into them.
    const target = outPath === undefined ? io.stderr : io.stdout;
    if (json) {
      if (outPath !== undefined) target.write(formatJson(summary));
    } else {
      target.write(`exported ${count} deltas${outPath === undefined ? '' : ` to ${outPath}`}\n`);
    }
    return 0;
  },
};
