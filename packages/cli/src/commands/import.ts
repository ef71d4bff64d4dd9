import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Command } from '../command.ts';
import {
  hashLine,
  readCheckpoint,
  removeCheckpoint,
  writeCheckpoint,
  type Checkpoint,
} from '../checkpoint.ts';
import { CliError, CliErrorCode, createUsageError, ExitCode, isCliError } from '../errors.ts';
import { createFileUnreadableError, resolvePath } from '../files.ts';
import { formatJson } from '../format.ts';
import { parseInput, positiveIntegerInput } from '../inputs.ts';
import { createProgress } from '../progress.ts';
import { importRhizomeNodeStore } from './import-rhizome-node.ts';

// Stays well under the node's default 4 MiB body limit whatever the deltas look like.
const MAX_BATCH_BYTES = 1024 * 1024;

interface PendingLine {
  readonly number: number;
  readonly text: string;
  readonly delta: unknown;
}

export const importCommand: Command = {
  name: 'import',
  summary:
    'write the deltas of an NDJSON file (as written by export), or of a rhizome-node store, resumably',
  usage:
    'import <file.ndjson> | --from rhizome-node <dir> [--batch-size <n>] [--checkpoint <file>] [--restart]',
  optionHelp: [
    '--batch-size <n>    deltas per request, 1 to 1000 (default 500); a batch is stored atomically',
    '--checkpoint <file> where progress is kept (default <file.ndjson>.checkpoint or <dir>.checkpoint)',
    '--restart           ignore an existing checkpoint and start from the first line',
    '--from rhizome-node read <dir> as a rhizome-node LevelDB store (stop that node first) and',
    '                    import its deltas converted to v1: new ids, millisecond timestamps,',
    '                    negations pointing at the new ids (needs the classic-level package)',
    '--dangling-negations error|keep|skip',
    '                    a rhizome-node negation of a delta its store lacks: stop (default),',
    '                    keep it pointing at the old id, or leave it out',
    'A re-run after an interruption skips the lines (keys) the node already acknowledged; the',
    'checkpoint is removed once everything is in. Deltas already present count as duplicate.',
  ],
  options: {
    'batch-size': { type: 'string' },
    checkpoint: { type: 'string' },
    restart: { type: 'boolean' },
    from: { type: 'string' },
    'dangling-negations': { type: 'string' },
  },
  async run(context) {
    const { args, options, json, io, remote } = context;
    const batchSize =
      typeof options['batch-size'] === 'string'
        ? parseInput(positiveIntegerInput(1000), options['batch-size'], '--batch-size')
        : 500;
    if (options.from !== undefined) {
      if (options.from !== 'rhizome-node') {
        throw createUsageError(
          `--from: must be rhizome-node (got ${JSON.stringify(options.from)})`,
        );
      }
      return importRhizomeNodeStore(context, batchSize);
    }
    if (options['dangling-negations'] !== undefined) {
      throw createUsageError('--dangling-negations: only applies with --from rhizome-node');
    }
    if (args[0] === undefined)
      throw new CliError(CliErrorCode.usageInvalid, 'file: is required', ExitCode.usage);
    const file = resolvePath(io.cwd, args[0]);
    const checkpointPath =
      typeof options.checkpoint === 'string'
        ? resolvePath(io.cwd, options.checkpoint)
        : `${file}.checkpoint`;
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch (error) {
      throw createFileUnreadableError(file, error);
    }
    const node = remote();
    const previous = options.restart === true ? undefined : await readCheckpoint(checkpointPath);
    // A checkpoint for another file or node says nothing about this import.
    const resumeFrom =
      previous !== undefined && previous.file === file && previous.url === node.url
        ? previous
        : undefined;

    const progress = createProgress(io.stderr, io.stderrIsTty);
    const counts = { lines: 0, skipped: 0, stored: 0, duplicate: 0, batches: 0 };
    let bytesRead = 0;
    let batch: PendingLine[] = [];
    let batchBytes = 0;

    const flush = async () => {
      if (batch.length === 0) return;
      const lines = batch;
      batch = [];
      batchBytes = 0;
      let results;
      try {
        results = (
          await node.call((client) =>
            client.deltas.append.mutate({ deltas: lines.map((line) => line.delta) }),
          )
        ).results;
      } catch (error) {
        throw locateBatchError(error, lines);
      }
      for (const result of results) counts[result.status] += 1;
      counts.batches += 1;
      const last = lines[lines.length - 1] as PendingLine;
      const checkpoint: Checkpoint = {
        version: 1,
        file,
        url: node.url,
        line: last.number,
        lineHash: hashLine(last.text),
      };
      await writeCheckpoint(checkpointPath, checkpoint);
      progress.update(
        `${counts.stored} stored, ${counts.duplicate} duplicate`,
        size > 0 ? bytesRead / size : 1,
      );
    };

    const input = createReadStream(file, 'utf8');
    const reader = createInterface({ input, crlfDelay: Infinity });
    let lineNumber = 0;
    try {
      for await (const text of reader) {
        lineNumber += 1;
        bytesRead += Buffer.byteLength(text) + 1;
        if (resumeFrom !== undefined && lineNumber <= resumeFrom.line) {
          if (lineNumber === resumeFrom.line && hashLine(text) !== resumeFrom.lineHash) {
            throw new CliError(
              CliErrorCode.checkpointStale,
              `${checkpointPath} does not match line ${lineNumber} of ${file} (the file changed?); re-run with --restart`,
              ExitCode.usage,
              { details: { checkpoint: checkpointPath, line: lineNumber } },
            );
          }
          if (text.trim() !== '') counts.skipped += 1;
          continue;
        }
        if (text.trim() === '') continue;
        counts.lines += 1;
        let delta: unknown;
        try {
          delta = JSON.parse(text);
        } catch (error) {
          // Store what came before, so the checkpoint points at the bad line for the re-run.
          await flush();
          throw new CliError(
            CliErrorCode.inputInvalid,
            `line ${lineNumber} of ${file} is not JSON: ${(error as Error).message}`,
            ExitCode.usage,
            { details: { line: lineNumber } },
          );
        }
        const bytes = Buffer.byteLength(text);
        if (batch.length > 0 && batchBytes + bytes > MAX_BATCH_BYTES) await flush();
        batch.push({ number: lineNumber, text, delta });
        batchBytes += bytes;
        if (batch.length >= batchSize) await flush();
      }
      await flush();
    } finally {
      reader.close();
      input.destroy();
      progress.done();
    }
    await removeCheckpoint(checkpointPath);
    const summary = { file, ...counts };
    io.stdout.write(
      json
        ? formatJson(summary)
        : `imported ${file}: ${counts.stored} stored, ${counts.duplicate} duplicate` +
            (counts.skipped > 0 ? `, ${counts.skipped} skipped (already acknowledged)` : '') +
            '\n',
    );
    return 0;
  },
};

/** Points a rejected batch's error at the file line of the offending delta. */
function locateBatchError(error: unknown, lines: readonly PendingLine[]): unknown {
  if (!isCliError(error) || error.exitCode === ExitCode.unreachable) return error;
  const path = (error.details as { path?: unknown } | null)?.path;
  const index = Array.isArray(path) && typeof path[0] === 'number' ? path[0] : undefined;
  const line = index === undefined ? undefined : lines[index];
  const where =
    line === undefined
      ? `lines ${lines[0]?.number}-${lines[lines.length - 1]?.number}`
      : `line ${line.number}`;
  return new CliError(error.code, `${where}: ${error.message}`, error.exitCode, {
    details: { ...(typeof error.details === 'object' ? error.details : {}), line: line?.number },
    cause: error,
  });
}
