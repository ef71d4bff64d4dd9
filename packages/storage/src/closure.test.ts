import { createDeltaBuilder, type Delta } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import { collectClosure } from './closure.ts';
import { listReferencePointers } from './pointers.ts';

const at = (t: number) => createDeltaBuilder({ creator: 'c', host: 'h', timeCreated: t });

function indexOf(deltas: readonly Delta[]) {
  const calls: string[][] = [];
  const fetch = async (ids: readonly string[]) => {
    calls.push([...ids]);
    return deltas.filter((d) => listReferencePointers(d).some((p) => ids.includes(p.targetId)));
  };
  return { fetch, calls };
}

describe('collectClosure', () => {
  it('walks one hop per query and never asks for the same id twice', async () => {
    const name = at(1).set('a', { name: 'A' }).build();
    const undo = at(2).negate(name.id).build();
    const redo = at(3).negate(undo.id).build();
    const { fetch, calls } = indexOf([name, undo, redo]);
    expect(await collectClosure(['a', 'a'], fetch)).toEqual([name, undo, redo]);
    expect(calls).toEqual([['a'], [name.id], [undo.id], [redo.id]]);
  });

  it('leaves out, and does not follow, deltas after asOf', async () => {
    const name = at(1).set('a', { name: 'A' }).build();
    const undo = at(5).negate(name.id).build();
    const redo = at(2).negate(undo.id).build();
    const { fetch } = indexOf([name, undo, redo]);
    expect(await collectClosure(['a'], fetch, 4)).toEqual([name]);
  });
});
