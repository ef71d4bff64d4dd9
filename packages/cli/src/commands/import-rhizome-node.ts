import type { Delta } from '@rhizome/core';
import type { CommandContext } from '../command.ts';
import {
  hashLine,
  readStoreCheckpoint,
  removeCheckpoint,
  writeCheckpoint,
  type StoreCheckpoint,
} from '../checkpoint.ts';
import { CliError, CliErrorCode, ExitCode, isCliError } from '../errors.ts';
import { resolvePath } from '../files.ts';
import { formatJson } from '../format.ts';
import { parseInput } from '../inputs.ts';
import { createProgress } from '../progress.ts';
import { createRhizomeNodeConverter, type DanglingNegations } from '../rhizome-node-convert.ts';
import { openRhizomeNodeStore, type RhizomeNodeStore } from '../rhizome-node-store.ts';
import { z } from 'zod';

// The same bound as the NDJSON import: well under the node's default 4 MiB body limit.
const MAX_BATCH_BYTES = 1024 * 1024;

const danglingInput = z.enum(['error', 'keep', 'skip']);

interface PendingDelta {
  readonly key: string;
  readonly delta: Delta;
}

/**
 * `rhizome import --from rhizome-node <dir>`: two passes over the store's `delta:` keys. The
 * first converts every delta without writing anything, so a corrupt value or an unconvertible
 * delta stops the import before the node stores a single delta, and counts them for the progress
 * bar. The second converts again and appends in batches through the node's normal write path,
 * writing a checkpoint (the last acknowledged key) after each batch.
 */
export async function importRhizomeNodeStore(
  { args, options, json, io, remote }: CommandContext,
  batchSize: number,
): Promise<number> {
  if (args[0] === undefined) {
    throw new CliError(CliErrorCode.usageInvalid, 'dir: is required', ExitCode.usage);
  }
  const dir = resolvePath(io.cwd, args[0]);
  const dangling: DanglingNegations =
    typeof options['dangling-negations'] === 'string'
      ? parseInput(danglingInput, options['dangling-negations'], '--dangling-negations')
      : 'error';
  const checkpointPath =
    typeof options.checkpoint === 'string'
      ? resolvePath(io.cwd, options.checkpoint)
      : `${dir}.checkpoint`;
  const node = remote();
  const previous = options.restart === true ? undefined : await readStoreCheckpoint(checkpointPath);
  const resumeFrom =
    previous !== undefined && previous.dir === dir && previous.url === node.url
      ? previous
      : undefined;

  const store = await openRhizomeNodeStore(dir);
  const progress = createProgress(io.stderr, io.stderrIsTty);
  const counts = { deltas: 0, skipped: 0, stored: 0, duplicate: 0, dropped: 0, batches: 0 };
  try {
    const converter = createRhizomeNodeConverter(store, dangling);
    counts.deltas = await checkStore(store, converter.convert, resumeFrom, checkpointPath, (n) =>
      progress.update(`checking: ${n} deltas converted`),
    );
    counts.skipped = resumeFrom?.count ?? 0;

    let batch: PendingDelta[] = [];
    let batchBytes = 0;
    let position = counts.skipped;
    // The last entry looked at: every entry up to it is in `batch`, dropped, or acknowledged.
    let mark: { key: string; value: string; position: number } | undefined;
    const flush = async () => {
      if (mark === undefined) return;
      if (batch.length > 0) {
        const pending = batch;
        batch = [];
        batchBytes = 0;
        let results;
        try {
          results = (
            await node.call((client) =>
              client.deltas.append.mutate({ deltas: pending.map((entry) => entry.delta) }),
            )
          ).results;
        } catch (error) {
          throw locateBatchError(error, pending);
        }
        for (const result of results) counts[result.status] += 1;
        counts.batches += 1;
      }
      const checkpoint: StoreCheckpoint = {
        version: 1,
        from: 'rhizome-node',
        dir,
        url: node.url,
        key: mark.key,
        count: mark.position,
        valueHash: hashLine(mark.value),
      };
      await writeCheckpoint(checkpointPath, checkpoint);
      progress.update(
        `${counts.stored} stored, ${counts.duplicate} duplicate`,
        counts.deltas > 0 ? mark.position / counts.deltas : 1,
      );
    };

    for await (const entry of store.entries(resumeFrom?.key)) {
      const delta = await converter.convert(entry);
      if (delta === undefined) {
        counts.dropped += 1;
      } else {
        const bytes = Buffer.byteLength(JSON.stringify(delta));
        if (batch.length > 0 && batchBytes + bytes > MAX_BATCH_BYTES) await flush();
        batch.push({ key: entry.key, delta });
        batchBytes += bytes;
      }
      position += 1;
      mark = { key: entry.key, value: entry.value, position };
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  } finally {
    progress.done();
    await store.close();
  }
  await removeCheckpoint(checkpointPath);
  const summary = { dir, ...counts };
  io.stdout.write(
    json
      ? formatJson(summary)
      : `imported rhizome-node store ${dir}: ${counts.stored} stored, ${counts.duplicate} duplicate` +
          (counts.skipped > 0 ? `, ${counts.skipped} skipped (already acknowledged)` : '') +
          (counts.dropped > 0 ? `, ${counts.dropped} negations of missing deltas dropped` : '') +
          '\n',
  );
  return 0;
}

/**
 * Converts every delta of the store (nothing is written) and returns how many there are. With a
 * checkpoint, also checks that the store still holds the acknowledged key with the same value
 * and the same number of keys up to it.
 */
async function checkStore(
  store: RhizomeNodeStore,
  convert: (entry: { key: string; value: string }) => Promise<unknown>,
  resumeFrom: StoreCheckpoint | undefined,
  checkpointPath: string,
  report: (converted: number) => void,
): Promise<number> {
  let total = 0;
  let upToKey = 0;
  let matched = false;
  for await (const entry of store.entries()) {
    await convert(entry);
    total += 1;
    if (resumeFrom !== undefined && entry.key <= resumeFrom.key) {
      upToKey += 1;
      if (entry.key === resumeFrom.key) matched = hashLine(entry.value) === resumeFrom.valueHash;
    }
    if (total % 1000 === 0) report(total);
  }
  if (resumeFrom !== undefined && (!matched || upToKey !== resumeFrom.count)) {
    throw new CliError(
      CliErrorCode.checkpointStale,
      `${checkpointPath} does not match ${store.dir} at ${resumeFrom.key} (the store changed?); re-run with --restart`,
      ExitCode.usage,
      { details: { checkpoint: checkpointPath, key: resumeFrom.key } },
    );
  }
  return total;
}

/** Points a rejected batch's error at the store key of the offending delta. */
function locateBatchError(error: unknown, pending: readonly PendingDelta[]): unknown {
  if (!isCliError(error) || error.exitCode === ExitCode.unreachable) return error;
  const path = (error.details as { path?: unknown } | null)?.path;
  const index = Array.isArray(path) && typeof path[0] === 'number' ? path[0] : undefined;
  const entry = index === undefined ? undefined : pending[index];
  const where =
    entry === undefined
      ? `keys ${pending[0]?.key} to ${pending[pending.length - 1]?.key}`
      : entry.key;
  return new CliError(error.code, `${where}: ${error.message}`, error.exitCode, {
    details: { ...(typeof error.details === 'object' ? error.details : {}), key: entry?.key },
    cause: error,
  });
}
