import { hasValidId } from '@rhizome/core';
import { seed } from '@rhizome/vitest-config/seed';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../src/codec.ts';
import { generateDeltas } from './fixtures.ts';
import { createHarness, createRawPeer } from './harness.ts';

const pool = generateDeltas(40, 99, 'fuzz');
const ids = pool.map((delta) => delta.id);

const message = fc.oneof(
  fc.record({ t: fc.constant('hello'), protocol: fc.constantFrom(2, 2, 2, 1, 0, 3), node: fc.constantFrom('raw', 'a'), feed: fc.record({ id: fc.constant('x'), head: fc.nat(50) }) }),
  fc.record({ t: fc.constant('credit'), grant: fc.integer({ min: -1, max: 5 }) }),
  fc.record({ t: fc.constant('subscribe'), from: fc.option(fc.nat(60), { nil: undefined }) }),
  fc.subarray(pool, { minLength: 0, maxLength: 5 }).map((deltas) => ({ t: 'batch', d: encodeBatch(deltas) })),
  fc.record({ t: fc.constant('batch'), d: fc.jsonValue({ maxDepth: 3 }) }),
  // Lazy push: announced ids, held or not, with or without a feed position.
  fc.record({
    t: fc.constant('batch'),
    seq: fc.option(fc.nat(60), { nil: undefined }),
    d: fc.constant(encodeBatch([])),
    h: fc.array(fc.oneof(fc.constantFrom(...ids), fc.string({ maxLength: 44 })), { maxLength: 4 }),
  }),
  fc.record({ t: fc.constant('want'), ids: fc.array(fc.oneof(fc.constantFrom(...ids), fc.constantFrom(...ids).map((id) => id.slice(0, 12)), fc.string()), { maxLength: 4 }) }),
  fc.record({
    t: fc.constant('reconcile'),
    ranges: fc.array(
      fc.oneof(
        fc.tuple(fc.option(fc.string({ maxLength: 3 }), { nil: null })),
        fc.tuple(fc.option(fc.string({ maxLength: 3 }), { nil: null }), fc.nat(50), fc.string({ maxLength: 12 })),
        fc.tuple(fc.option(fc.string({ maxLength: 3 }), { nil: null }), fc.subarray(ids.map((id) => id.slice(0, 12)))),
      ),
      { maxLength: 5 },
    ),
  }),
  fc.record({ t: fc.constantFrom('ping', 'pong'), nonce: fc.integer() }),
  fc.record({ t: fc.constant('peers'), addresses: fc.array(fc.string({ minLength: 1 }), { maxLength: 3 }) }),
  fc.record({ t: fc.constant('error'), code: fc.constant('X'), message: fc.string(), fatal: fc.boolean() }),
  fc.string({ maxLength: 30 }).map((raw) => ({ raw })),
);

describe('a hostile peer', () => {
  it('never crashes a node, never gets an invalid delta stored, and is closed only with a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { maxLength: 25 }), fc.boolean(), fc.boolean(), async (messages, shuffleNumbers, startWithHello) => {
        const { scheduler, network, node } = createHarness();
        const a = node('a');
        await a.store.appendBatch(pool.slice(0, 10));
        const [mine, theirs] = network.createPair('a', 'raw');
        const session = a.attach(mine);
        const raw = createRawPeer(theirs);
        // Mostly past the handshake, where the interesting states are.
        if (startWithHello) raw.hello();
        messages.forEach((m, i) => {
          if ('raw' in m) raw.sendRaw(String(m.raw));
          // Sometimes frame numbers are wrong too: duplicates and gaps must be handled as well.
          else if (shuffleNumbers && i % 3 === 2) theirs.send(JSON.stringify({ ...m, n: (i * 7) % 5 }));
          else raw.send(m);
        });
        await scheduler.advance(3_000);
        const snapshot = session.snapshot();
        if (snapshot.state === 'closed') expect(snapshot.lastError?.code ?? '').toMatch(/^(SYNC_|X$|peer closed)/);
        for (const delta of a.store.all()) expect(hasValidId(delta)).toBe(true);
        a.close();
      }),
      { numRuns: 300, seed },
    );
  });
});
