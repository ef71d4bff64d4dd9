import { createMemoryStore } from '@rhizome/storage';
import { TRPCError } from '@trpc/server';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createRhizomeNode, type Principal, type RhizomeNode } from '@rhizome/node';
import { createCaller } from '../root.ts';
import { createContext } from '../trpc.ts';

const writer: Principal = { creator: 'alice', scopes: new Set(['read', 'write']), open: false };
const admin: Principal = { creator: 'root', scopes: new Set(['admin']), open: false };
const reader: Principal = { creator: 'carol', scopes: new Set(['read']), open: false };

let node: RhizomeNode;
const caller = (principal: Principal | null) => createCaller(createContext({ node, principal }));
const rejection = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    return { code: error.code, rhizome: (error.cause as { code?: string } | undefined)?.code };
  }
  throw new Error('expected a rejection');
};

beforeEach(async () => {
  node = await createRhizomeNode({ store: createMemoryStore(), nodeId: 'n', maxPageSize: 50 });
  await caller(admin).schemas.put({
    name: 'person',
    schema: { properties: { name: { kind: 'string', resolver: 'lww', required: true } } },
  });
  await caller(writer).entities.put({ id: 'ada', properties: { name: 'Ada' } });
  await caller(writer).entities.put({ id: 'bob', properties: { name: 7 } });
});
afterEach(() => node.close());

it('schemas.invalid and schemas.validate answer from the node', async () => {
  const missing = { property: 'name', code: 'MISSING' };
  const page = await caller(reader).schemas.invalid({ name: 'person' });
  expect(page.reports.map((report) => report.id)).toEqual(['bob']);
  expect(page.reports[0]?.problems[0]).toEqual(missing);
  expect(page).toMatchObject({ cursor: null, scanned: 2 });
  expect(await caller(reader).schemas.validate({ name: 'person', id: 'ada' })).toEqual({
    id: 'ada',
    schema: 'person',
    valid: true,
    problems: [],
  });
  expect(await caller(reader).schemas.get({ name: 'person' })).toMatchObject({
    properties: { name: { required: true } },
  });
});

it('refuses bad input, unknown schemas and callers without read', async () => {
  expect(await rejection(caller(reader).schemas.invalid({ name: 'person', limit: 51 }))).toEqual({
    code: 'BAD_REQUEST',
    rhizome: 'INVALID_REQUEST',
  });
  expect(
    (await rejection(caller(reader).schemas.invalid({ name: 'person', extra: 1 } as never))).code,
  ).toBe('BAD_REQUEST');
  expect(await rejection(caller(reader).schemas.invalid({ name: 'nobody' }))).toEqual({
    code: 'NOT_FOUND',
    rhizome: 'SCHEMA_NOT_FOUND',
  });
  expect(await rejection(caller(reader).schemas.validate({ name: 'person', id: 'ghost' }))).toEqual(
    { code: 'NOT_FOUND', rhizome: 'ENTITY_NOT_FOUND' },
  );
  expect((await rejection(caller(null).schemas.invalid({ name: 'person' }))).code).toBe(
    'UNAUTHORIZED',
  );
});
