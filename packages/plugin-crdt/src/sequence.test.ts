import type { Delta } from '@rhizome/core';
import { createCustomResolver } from '@rhizome/plugins';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createReplica,
  insertAfter,
  negate,
  permutations,
  resolveFromScratch,
} from '../test/support/deltas.ts';
import { assertProperty } from '@rhizome/vitest-config/seed';
import { sequence, type SequenceElement } from './sequence.ts';

const textResolver = () => createCustomResolver([sequence({ property: 'text' })]);
const elementsResolver = () =>
  createCustomResolver([sequence({ property: 'text', as: 'elements' })]);

/** Types `text` after `after`, one delta per character, each after the previous one. */
function type(text: string, creator: string, after: string | undefined, time: number): Delta[] {
  const deltas: Delta[] = [];
  let previous = after;
  for (const char of text) {
    const delta = insertAfter(time++, creator, previous, char);
    deltas.push(delta);
    previous = delta.id;
  }
  return deltas;
}

describe('sequence plugin', () => {
  it('builds text from inserts that reference the element before them', () => {
    expect(resolveFromScratch(textResolver(), 'doc', type('hello', 'ann', undefined, 1))).toEqual({
      text: 'hello',
    });
  });

  it('inserts in the middle, deletes by negation and restores by negating the negation', () => {
    const hello = type('helo', 'ann', undefined, 1);
    const l = insertAfter(10, 'ann', hello[2]!.id, 'l');
    const deleteE = negate(11, hello[1]!);
    const replica = createReplica(textResolver(), 'doc');
    replica.receive(...hello, l);
    expect(replica.view()['text']).toBe('hello');
    replica.receive(deleteE);
    expect(replica.view()['text']).toBe('hllo');
    // Typing after a deleted character still lands where it was.
    replica.receive(insertAfter(12, 'ann', hello[1]!.id, 'a'));
    expect(replica.view()['text']).toBe('hallo');
    replica.receive(negate(13, deleteE));
    expect(replica.view()['text']).toBe('heallo');
  });

  it('an empty sequence is the empty text or list', () => {
    expect(textResolver().resolve('doc', [])).toEqual({ text: '' });
    expect(elementsResolver().resolve('doc', [])).toEqual({ text: [] });
  });

  it('outputs elements with ids, for editors that need positions', () => {
    const deltas = type('ab', 'ann', undefined, 1);
    expect(elementsResolver().resolve('doc', deltas)['text']).toEqual([
      { id: deltas[0]!.id, value: 'a' },
      { id: deltas[1]!.id, value: 'b' },
    ]);
    const list = createCustomResolver([sequence({ property: 'text', as: 'list' })]);
    expect(list.resolve('doc', deltas)['text']).toEqual(['a', 'b']);
  });

  it('concurrent inserts at one position from two creators converge to one order in every delivery order', () => {
    const x = insertAfter(1, 'ann', undefined, 'X');
    // Same timestamps on both sides: the ids decide, identically everywhere.
    const ann = type('ab', 'ann', x.id, 5);
    const bob = type('cd', 'bob', x.id, 5);
    const deltas = [x, ...ann, ...bob];
    const outcomes = new Set<string>();
    for (const order of permutations(deltas)) {
      const replica = createReplica(textResolver(), 'doc');
      for (const delta of order) replica.receive(delta);
      outcomes.add(replica.view()['text'] as string);
    }
    expect(outcomes.size).toBe(1);
    const [text] = [...outcomes];
    // Each creator's run stays together.
    expect(['Xabcd', 'Xcdab']).toContain(text);
    expect(resolveFromScratch(textResolver(), 'doc', deltas)['text']).toBe(text);
  });

  it('puts the later of two concurrent inserts first, like RGA', () => {
    const x = insertAfter(1, 'ann', undefined, 'X');
    const early = insertAfter(2, 'ann', x.id, 'e');
    const late = insertAfter(3, 'bob', x.id, 'l');
    for (const order of permutations([x, early, late])) {
      expect(resolveFromScratch(textResolver(), 'doc', order)['text']).toBe('Xle');
      const replica = createReplica(textResolver(), 'doc');
      for (const delta of order) replica.receive(delta);
      expect(replica.view()['text']).toBe('Xle');
    }
  });

  it('keeps an insert whose predecessor is unknown invisible until it arrives', () => {
    const [a, b, c] = type('abc', 'ann', undefined, 1);
    const replica = createReplica(textResolver(), 'doc');
    replica.receive(c!);
    expect(replica.view()['text']).toBe('');
    replica.receive(b!);
    expect(replica.view()['text']).toBe('');
    replica.receive(a!);
    expect(replica.view()['text']).toBe('abc');
  });

  it('converges with deletes in every delivery order, negation before its target included', () => {
    const [a, b, c] = type('abc', 'ann', undefined, 1);
    const d = insertAfter(4, 'bob', b!.id, 'd');
    const deleteB = negate(5, b!, 'bob');
    const deltas = [a!, b!, c!, d, deleteB];
    for (const order of permutations(deltas)) {
      const replica = createReplica(textResolver(), 'doc');
      for (const delta of order) replica.receive(delta);
      expect(replica.view()['text']).toBe('adc');
    }
  });
});

/** A replica with an editor on top: edits by position, as a user would make them. */
function createEditingReplica(creator: string) {
  const resolver = elementsResolver();
  const received = new Map<string, Delta>();
  let clock = 0;
  const view = (): SequenceElement[] =>
    resolveFromScratch(resolver, 'doc', received.values())['text'] as SequenceElement[];
  return {
    receive(deltas: Iterable<Delta>) {
      for (const delta of deltas) {
        received.set(delta.id, delta);
        clock = Math.max(clock, delta.timeCreated);
      }
    },
    insert(position: number, char: string): Delta {
      const elements = view();
      const index = Math.min(position, elements.length);
      clock += 1;
      const delta = insertAfter(
        clock,
        creator,
        index === 0 ? undefined : elements[index - 1]!.id,
        char,
      );
      received.set(delta.id, delta);
      return delta;
    },
    remove(position: number): Delta | undefined {
      const elements = view();
      if (elements.length === 0) return undefined;
      const target = received.get(elements[position % elements.length]!.id)!;
      clock += 1;
      const delta = negate(clock, target, creator);
      received.set(delta.id, delta);
      return delta;
    },
    all: () => [...received.values()],
  };
}

describe('sequence plugin (property tests)', () => {
  const edit = fc.record({
    editor: fc.nat({ max: 2 }),
    kind: fc.constantFrom('insert', 'insert', 'insert', 'remove', 'sync'),
    position: fc.nat({ max: 20 }),
    char: fc.constantFrom('a', 'b', 'c', ' '),
    syncTo: fc.nat({ max: 2 }),
  });

  it('three concurrent editors converge, in any delivery order, to the from-scratch text', () => {
    assertProperty(
      fc.property(
        fc.array(edit, { minLength: 1, maxLength: 30 }),
        fc.array(fc.double({ noNaN: true }), { minLength: 100, maxLength: 100 }),
        (edits, keys) => {
          const editors = ['ann', 'bob', 'cy'].map(createEditingReplica);
          for (const step of edits) {
            const editor = editors[step.editor]!;
            if (step.kind === 'insert') editor.insert(step.position, step.char);
            else if (step.kind === 'remove') editor.remove(step.position);
            else editors[step.syncTo]!.receive(editor.all());
          }
          const all = new Map<string, Delta>();
          for (const editor of editors) for (const delta of editor.all()) all.set(delta.id, delta);
          const deltas = [...all.values()];
          const expected = resolveFromScratch(textResolver(), 'doc', deltas);
          const shuffled = deltas
            .map((delta, index) => ({ delta, key: keys[index % keys.length]! + index * 1e-9 }))
            .sort((a, b) => a.key - b.key)
            .map((entry) => entry.delta);
          for (const order of [deltas, shuffled, [...deltas].reverse()]) {
            const replica = createReplica(textResolver(), 'doc');
            for (const delta of order) replica.receive(delta);
            expect(replica.view()).toEqual(expected);
          }
        },
      ),
      60,
    );
  });

  it('a single editor always matches a plain string model', () => {
    assertProperty(
      fc.property(fc.array(edit, { maxLength: 60 }), (edits) => {
        const editor = createEditingReplica('ann');
        let model = '';
        for (const step of edits) {
          if (step.kind === 'remove') {
            if (model.length === 0) continue;
            const index = step.position % model.length;
            editor.remove(index);
            model = model.slice(0, index) + model.slice(index + 1);
          } else {
            const index = Math.min(step.position, model.length);
            editor.insert(index, step.char);
            model = model.slice(0, index) + step.char + model.slice(index);
          }
        }
        expect(resolveFromScratch(textResolver(), 'doc', editor.all())['text']).toBe(model);
      }),
    );
  });
});
