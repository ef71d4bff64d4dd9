import { describe, expect, it } from 'vitest';
import { CoreErrorCode, RhizomeError, formatPath, isRhizomeError } from './errors.ts';

describe('RhizomeError', () => {
  it('carries a stable code, a path, details and a cause', () => {
    const cause = new SyntaxError('bad');
    const error = new RhizomeError(CoreErrorCode.DeltaInvalid, 'broken', { cause, path: ['pointers', 0], details: { n: 1 } });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('RhizomeError');
    expect(error.code).toBe('DELTA_INVALID');
    expect(error.path).toEqual(['pointers', 0]);
    expect(error.details).toEqual({ n: 1 });
    expect(error.cause).toBe(cause);
    expect(error.message).toBe('broken');
  });

  it('has no cause unless given one', () => {
    expect('cause' in new RhizomeError('X', 'm')).toBe(false);
  });

  it('serialises to the wire shape with toJSON, leaving out what is absent', () => {
    const full = new RhizomeError('DELTA_ID_MISMATCH', 'm', { path: ['id'], details: { expected: 'a' }, cause: new Error('hidden') });
    expect(JSON.parse(JSON.stringify(full))).toEqual({ code: 'DELTA_ID_MISMATCH', message: 'm', path: ['id'], details: { expected: 'a' } });
    expect(new RhizomeError('CLOCK_DRIFT', 'm').toJSON()).toEqual({ code: 'CLOCK_DRIFT', message: 'm' });
  });

  it('can be extended by other packages with their own codes', () => {
    class StorageError extends RhizomeError<'STORAGE_CONFLICT'> {}
    const error = new StorageError('STORAGE_CONFLICT', 'taken');
    expect(isRhizomeError(error, 'STORAGE_CONFLICT')).toBe(true);
  });

  it('has stable codes', () => {
    expect(Object.values(CoreErrorCode).sort()).toEqual([
      'BUILDER_CONFLICT',
      'BUILDER_INVALID',
      'CLOCK_DRIFT',
      'DELTA_ID_MISMATCH',
      'DELTA_INVALID',
      'DELTA_TOO_LARGE',
      'KEY_UNKNOWN',
      'LEGACY_IMPORT_INVALID',
      'POINTER_INVALID',
      'SIGNATURE_INVALID',
      'SIGNATURE_MISSING',
      'SIGNING_KEY_INVALID',
    ]);
  });
});

describe('isRhizomeError', () => {
  it('matches on code, optionally a given one', () => {
    const error = new RhizomeError('POINTER_INVALID', 'm');
    expect(isRhizomeError(error)).toBe(true);
    expect(isRhizomeError(error, 'POINTER_INVALID')).toBe(true);
    expect(isRhizomeError(error, 'DELTA_INVALID')).toBe(false);
  });

  it('recognises an error from another copy of the package (no shared class)', () => {
    // What a second copy of @rhizome/core produces: an Error with a code, but another class.
    class RhizomeErrorFromOtherCopy extends Error {
      readonly code = 'DELTA_INVALID';
      readonly path = ['host'];
    }
    const foreign = new RhizomeErrorFromOtherCopy('m');
    expect(foreign instanceof RhizomeError).toBe(false);
    expect(isRhizomeError(foreign, 'DELTA_INVALID')).toBe(true);
  });

  it('rejects values that are not errors or have no string code', () => {
    expect(isRhizomeError(undefined)).toBe(false);
    expect(isRhizomeError(null)).toBe(false);
    expect(isRhizomeError('DELTA_INVALID')).toBe(false);
    expect(isRhizomeError({ code: 'DELTA_INVALID', message: 'plain object' })).toBe(false);
    expect(isRhizomeError(new Error('no code'))).toBe(false);
    expect(isRhizomeError(Object.assign(new Error('numeric'), { code: 5 }))).toBe(false);
  });
});

describe('formatPath', () => {
  it('writes a JSONPath-like string', () => {
    expect(formatPath([])).toBe('$');
    expect(formatPath(['pointers', 2, 'target', 'id'])).toBe('$.pointers[2].target.id');
  });
});
