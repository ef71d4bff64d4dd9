import { describe, expect, it } from 'vitest';
import { toStorageError } from './database-error.ts';
import { prefixUpperBound, toTimeBound } from './sql-store.ts';

describe('prefixUpperBound', () => {
  it('raises the last code point so that every string with the prefix sorts below it', () => {
    expect(prefixUpperBound('user:')).toBe('user;');
    expect(prefixUpperBound('a\u{d7ff}')).toBe('a\u{e000}');
    expect(prefixUpperBound('x🌱')).toBe('x🌲');
    expect(prefixUpperBound('\u{10ffff}')).toBeUndefined();
  });
});

describe('toStorageError', () => {
  const withCode = (code: string) => Object.assign(new Error('boom'), { code });
  it.each([
    ['ECONNREFUSED', 'STORAGE_UNAVAILABLE'],
    ['08006', 'STORAGE_UNAVAILABLE'],
    ['57P01', 'STORAGE_UNAVAILABLE'],
    ['40001', 'STORAGE_CONFLICT'],
    ['40P01', 'STORAGE_CONFLICT'],
    ['23505', 'STORAGE_CONFLICT'],
    ['22P02', 'STORAGE_INVALID_INPUT'],
    ['42P01', 'STORAGE_FAILED'],
    ['', 'STORAGE_FAILED'],
  ])('maps %s to %s and keeps the cause', (databaseCode, expected) => {
    const cause = withCode(databaseCode);
    const error = toStorageError(cause, 'append');
    expect(error.code).toBe(expected);
    expect(error.cause).toBe(cause);
    expect(error.message).toContain('append failed');
  });
});

describe('toStorageError with wrapped errors', () => {
  it('finds the code a few causes down', () => {
    const inner = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    const wrapped = new Error('query failed', { cause: new AggregateError([inner], 'all failed') });
    expect(toStorageError(wrapped, 'open').code).toBe('STORAGE_UNAVAILABLE');
  });
});

describe('toTimeBound', () => {
  it('selects the same deltas as timeCreated <= asOf, within bigint range', () => {
    expect(toTimeBound(5.5)).toBe(5);
    expect(toTimeBound(-0.5)).toBe(-1);
    expect(toTimeBound(-1e300)).toBe(-1);
    expect(toTimeBound(1e300)).toBe(8_640_000_000_000_000);
  });
});
