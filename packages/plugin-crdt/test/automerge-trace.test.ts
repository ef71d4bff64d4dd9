import { createCustomResolver } from '@rhizome/plugins';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POSITIONAL_PATH,
  DEFAULT_TRACE_PATH,
  hasTrace,
  readAutomergeTrace,
  readPositionalTrace,
  replayPositional,
  traceToDeltas,
} from '../bench/automerge-trace.ts';
import { sequence } from '../src/index.ts';

const PREFIX = 20_000;
const available = hasTrace(DEFAULT_TRACE_PATH) && hasTrace(DEFAULT_POSITIONAL_PATH);

describe.skipIf(!available)('automerge-paper trace (prefix)', () => {
  it(`replays the first ${PREFIX} edits as deltas and negations to the trace's text`, () => {
    // Line 1 is makeText; edit n is line n + 1 and positional transaction n.
    const steps = traceToDeltas(readAutomergeTrace(DEFAULT_TRACE_PATH, PREFIX + 1));
    const expected = replayPositional(readPositionalTrace(DEFAULT_POSITIONAL_PATH), PREFIX);
    const resolver = createCustomResolver([sequence({ property: 'text' })]);
    const entity = resolver.createEntity('paper');
    for (const step of steps) {
      if (step.kind === 'insert') entity.apply({ visible: [step.delta] });
      else entity.apply({ negated: [step.target] });
    }
    expect(entity.get('text')).toBe(expected);
    // From scratch, given visible and negated inserts, gives the same text.
    const inserts = steps.filter((step) => step.kind === 'insert').map((step) => step.delta);
    const deleted = new Set(
      steps.flatMap((step) => (step.kind === 'delete' ? [step.target.id] : [])),
    );
    expect(
      resolver.resolve(
        'paper',
        inserts.filter((delta) => !deleted.has(delta.id)),
        inserts.filter((delta) => deleted.has(delta.id)),
      )['text'],
    ).toBe(expected);
  });
});
