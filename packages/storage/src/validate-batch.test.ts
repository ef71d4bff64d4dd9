import { createDeltaBuilder } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import { isStorageError } from './errors.ts';
import { StorageLimits } from './types.ts';
import { validateBatch } from './validate-batch.ts';

const build = (value: number) =>
  createDeltaBuilder({ creator: 'c', host: 'h', timeCreated: 1 }).set('e', { value }).build();

describe('validateBatch', () => {
  it('deduplicates by id and remembers which inputs repeated', () => {
    const [a, b] = [build(1), build(2)];
    const batch = validateBatch([a, b, { ...a }]);
    expect(batch.unique).toEqual([a, b]);
    expect([...batch.repeated]).toEqual([2]);
  });

  it('points at the offending delta and keeps the core error as cause', () => {
    let caught: unknown;
    try {
      validateBatch([build(1), { ...build(2), host: '' }]);
    } catch (error) {
      caught = error;
    }
    expect(isStorageError(caught, 'STORAGE_INVALID_INPUT')).toBe(true);
    expect((caught as { path: unknown[] }).path).toEqual([1, 'host']);
    expect((caught as { cause: { code: string } }).cause.code).toBe('DELTA_INVALID');
  });

  it('refuses oversized batches and non-arrays', () => {
    expect(() => validateBatch(new Array(StorageLimits.maxBatchSize + 1).fill(build(1)))).toThrow(
      /at most/,
    );
    expect(() => validateBatch('nope' as unknown as unknown[])).toThrow(/array/);
  });
});
