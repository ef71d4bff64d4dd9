import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Delta } from '@rhizome/core';
import { createMemorySyncStore, type MemorySyncStore } from '../../src/memory-store.ts';
import type { PeerCursor } from '../../src/store.ts';

/**
 * A durable SyncStore for the multi-process test: an append-only log, one line per batch (so a
 * batch torn by kill -9 is dropped whole on load), written and fsynced before the batch becomes
 * visible, and cursors replaced atomically by rename.
 */
export function openFileSyncStore(dir: string): MemorySyncStore {
  mkdirSync(dir, { recursive: true });
  const feedFile = join(dir, 'feed-id');
  if (!existsSync(feedFile)) writeFileSync(feedFile, randomUUID());
  const memory = createMemorySyncStore({ feedId: readFileSync(feedFile, 'utf8') });
  const logFile = join(dir, 'deltas.log');
  const cursorFile = join(dir, 'cursors.json');

  const replay: { deltas: Delta[]; origin?: string }[] = [];
  if (existsSync(logFile)) {
    for (const line of readFileSync(logFile, 'utf8').split('\n')) {
      if (line === '') continue;
      try {
        replay.push(JSON.parse(line) as { deltas: Delta[]; origin?: string });
      } catch {
        // The torn tail of a crash: that batch never completed, so it was never acknowledged.
      }
    }
  }
  const cursors = new Map<string, PeerCursor>(
    existsSync(cursorFile) ? (Object.entries(JSON.parse(readFileSync(cursorFile, 'utf8'))) as [string, PeerCursor][]) : [],
  );
  const log = openSync(logFile, 'a');
  const ready = (async () => {
    for (const batch of replay) await memory.appendBatch(batch.deltas, batch.origin === undefined ? {} : { origin: batch.origin });
  })();

  return {
    ...memory,
    get size() {
      return memory.size;
    },
    async feedId() {
      await ready;
      return memory.feedId();
    },
    async head() {
      await ready;
      return memory.head();
    },
    async appendBatch(deltas, options = {}) {
      await ready;
      const seen = new Set<string>();
      const fresh = deltas.filter((delta) => !memory.has(delta.id) && !seen.has(delta.id) && seen.add(delta.id));
      if (fresh.length > 0) {
        writeSync(log, JSON.stringify({ deltas: fresh, ...options }) + '\n');
        fsyncSync(log);
      }
      return memory.appendBatch(fresh, options);
    },
    async getCursor(peer) {
      return cursors.get(peer);
    },
    async setCursor(peer, cursor) {
      cursors.set(peer, cursor);
      writeFileSync(`${cursorFile}.tmp`, JSON.stringify(Object.fromEntries(cursors)));
      renameSync(`${cursorFile}.tmp`, cursorFile);
    },
    close() {
      closeSync(log);
    },
  } as MemorySyncStore & { close(): void };
}
