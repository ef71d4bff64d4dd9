// Small valid deltas to start tests from.
import { createDelta } from '../src/create.ts';
import type { Delta, DeltaContent } from '../src/types.ts';

export function sampleDelta(): Delta {
  return createDelta({
    timeCreated: 1_700_000_000_000,
    host: 'host-1',
    creator: 'alice',
    pointers: [
      { localContext: 'entity', target: { id: 'alice' }, targetContext: 'name' },
      { localContext: 'name', target: 'Alice' },
    ],
  });
}

/** Wire JSON as tests poke at it: any field, any shape, on purpose. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests corrupt wire JSON freely
export type WireJson = any;

/** A mutable JSON copy of the sample delta, as if it had just come off the wire. */
export function sampleWire(): WireJson {
  return JSON.parse(JSON.stringify(sampleDelta()));
}

/** The sample delta's content (everything but the id). */
export function sampleContent(): DeltaContent {
  const { id: _id, ...content } = sampleDelta();
  return content;
}
