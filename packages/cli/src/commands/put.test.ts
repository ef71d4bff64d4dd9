import { describe, expect, it } from 'vitest';
import { parseAssignments } from './put.ts';

describe('parseAssignments', () => {
  it('reads JSON literals as JSON and anything else as text', () => {
    expect(
      parseAssignments([
        'name=Ada',
        'age=36',
        'ok=true',
        'gone=null',
        'code="007"',
        'f={"id":"bo"}',
        'eq=a=b',
      ]),
    ).toEqual({
      name: 'Ada',
      age: 36,
      ok: true,
      gone: null,
      code: '007',
      f: { id: 'bo' },
      eq: 'a=b',
    });
  });

  it('refuses an assignment without a key', () => {
    expect(() => parseAssignments(['=x'])).toThrow(
      expect.objectContaining({ code: 'USAGE_INVALID' }),
    );
    expect(() => parseAssignments(['x'])).toThrow(
      expect.objectContaining({ code: 'USAGE_INVALID' }),
    );
  });
});
