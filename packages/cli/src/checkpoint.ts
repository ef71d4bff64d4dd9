import { createHash } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { z } from 'zod';

/**
 * How far an import of an NDJSON file got: the number of lines whose deltas the node acknowledged, with a hash of
 * the last of them so a re-run notices when the file under the checkpoint changed.
 */
export interface Checkpoint {
  readonly version: 1;
  readonly file: string;
  readonly url: string;
  readonly line: number;
  readonly lineHash: string;
}

const checkpointSchema = z.object({
  version: z.literal(1),
  file: z.string(),
  url: z.string(),
  line: z.number().int().nonnegative(),
  lineHash: z.string(),
});

/**
 * How far an import of a rhizome-node store got: the last `delta:` key (in key order) whose delta
 * the node acknowledged, how many delta keys sort at or before it, and a hash of its value, so a
 * re-run notices a store that changed under the checkpoint.
 */
export interface StoreCheckpoint {
  readonly version: 1;
  readonly from: 'rhizome-node';
  readonly dir: string;
  readonly url: string;
  readonly key: string;
  readonly count: number;
  readonly valueHash: string;
}

const storeCheckpointSchema = z.object({
  version: z.literal(1),
  from: z.literal('rhizome-node'),
  dir: z.string(),
  url: z.string(),
  key: z.string().min(1),
  count: z.number().int().positive(),
  valueHash: z.string(),
});

export function hashLine(line: string): string {
  return createHash('sha256').update(line).digest('hex');
}

/** The checkpoint at `path`, or undefined when there is none or it is unreadable. */
export function readCheckpoint(path: string): Promise<Checkpoint | undefined> {
  return readWith(path, checkpointSchema);
}

/** The checkpoint of a store import at `path`, or undefined when there is none or it is unreadable. */
export function readStoreCheckpoint(path: string): Promise<StoreCheckpoint | undefined> {
  return readWith(path, storeCheckpointSchema);
}

async function readWith<T>(path: string, schema: z.ZodType<T>): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Written beside and renamed over, so a crash mid-write never leaves half a checkpoint. */
export async function writeCheckpoint(
  path: string,
  checkpoint: Checkpoint | StoreCheckpoint,
): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeFile(temporary, `${JSON.stringify(checkpoint)}\n`);
  await rename(temporary, path);
}

export async function removeCheckpoint(path: string): Promise<void> {
  await rm(path, { force: true });
}
