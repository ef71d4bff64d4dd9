// Issue 14, defect 5: required properties and the validation report, through a real node in its
// own process: REST `GET /api/schemas/:name/invalid` (and `/validate/:id`) and the typed tRPC
// client agree, pages stop at RHIZOME_VALIDATE_MAX_SCAN with a cursor, bad parameters are
// INVALID_REQUEST.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, getRhizomeError } from '@rhizome/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startServerProcess,
  stopServerProcess,
  TOKEN_ENTRIES,
  TOKENS,
  type ServerProcess,
} from './helpers.ts';

let dir: string;
let server: ServerProcess;

const call = async (method: string, path: string, token?: string, body?: unknown) => {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: response.status, body: (await response.json()) as any };
};

const PERSON = {
  properties: {
    name: { kind: 'string', resolver: 'lww', required: true },
    age: { kind: 'number', resolver: 'lww' },
    tags: { kind: 'reference', resolver: 'set', target: 'tag', required: true },
  },
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rhizome-validate-'));
  server = await startServerProcess('validate-node', {
    RHIZOME_DATA_DIR: join(dir, 'data'),
    RHIZOME_TOKENS: JSON.stringify(TOKEN_ENTRIES),
    RHIZOME_VALIDATE_MAX_SCAN: '4',
  });
  const put = async (path: string, token: string, body: unknown) =>
    expect((await call('PUT', path, token, body)).status).toBe(200);
  await put('/api/schemas/tag', TOKENS.admin, {
    properties: { label: { kind: 'string', resolver: 'lww' } },
  });
  await put('/api/schemas/person', TOKENS.admin, PERSON);
  await put('/api/entities/t1', TOKENS.alice, { properties: { label: 'one' } });
  // p0: valid; p1: no name; p2: a tag nobody defines; p3: age as text; p4..p9: valid but p7.
  await put('/api/entities/p0', TOKENS.alice, { properties: { name: 'P0', tags: { id: 't1' } } });
  await put('/api/entities/p1', TOKENS.alice, { properties: { age: 3, tags: { id: 't1' } } });
  await put('/api/entities/p2', TOKENS.alice, { properties: { name: 'P2', tags: { id: 'tx' } } });
  await put('/api/entities/p3', TOKENS.alice, {
    properties: { name: 'P3', age: 'old', tags: { id: 't1' } },
  });
  for (const i of [4, 5, 6, 8, 9])
    await put(`/api/entities/p${i}`, TOKENS.alice, {
      properties: { name: `P${i}`, tags: { id: 't1' } },
    });
  await put('/api/entities/p7', TOKENS.alice, { properties: { name: 'P7' } });
}, 60_000);

afterAll(async () => {
  if (server !== undefined) await stopServerProcess(server);
  await rm(dir, { recursive: true, force: true });
});

describe('GET /api/schemas/:name/invalid', () => {
  it('pages through the invalid entities, each page scanning at most RHIZOME_VALIDATE_MAX_SCAN', async () => {
    const first = await call('GET', '/api/schemas/person/invalid', TOKENS.reader);
    expect(first.status).toBe(200);
    // p0..p3 scanned: p1, p2, p3 invalid; the scan bound ends the page with a cursor.
    expect(first.body).toEqual({
      reports: [
        {
          id: 'p1',
          schema: 'person',
          valid: false,
          problems: [{ property: 'name', code: 'MISSING' }],
        },
        {
          id: 'p2',
          schema: 'person',
          valid: false,
          problems: [
            {
              property: 'tags',
              code: 'REFERENCE_UNRESOLVED',
              target: 'tag',
              ids: ['tx'],
              count: 1,
            },
          ],
        },
        {
          id: 'p3',
          schema: 'person',
          valid: false,
          problems: [
            {
              property: 'age',
              code: 'IGNORED_VALUES',
              expected: 'number',
              found: ['string'],
              deltas: [expect.any(String)],
              count: 1,
            },
          ],
        },
      ],
      cursor: 'p3',
      scanned: 4,
    });
    const second = await call(
      'GET',
      '/api/schemas/person/invalid?cursor=p3&limit=1',
      TOKENS.reader,
    );
    expect(second.body).toEqual({
      reports: [
        {
          id: 'p7',
          schema: 'person',
          valid: false,
          problems: [{ property: 'tags', code: 'MISSING' }],
        },
      ],
      cursor: 'p7',
      scanned: 4,
    });
    const last = await call('GET', '/api/schemas/person/invalid?cursor=p7', TOKENS.reader);
    expect(last.body).toEqual({ reports: [], cursor: null, scanned: 2 });
  });

  it('validates one entity, as of a time too', async () => {
    const report = await call('GET', '/api/schemas/person/validate/p7', TOKENS.reader);
    expect(report).toEqual({
      status: 200,
      body: {
        id: 'p7',
        schema: 'person',
        valid: false,
        problems: [{ property: 'tags', code: 'MISSING' }],
      },
    });
    expect(
      (await call('GET', '/api/schemas/person/validate/p0?asOf=0', TOKENS.reader)).body.error.code,
    ).toBe('ENTITY_NOT_FOUND');
  });

  it('answers bad requests with stable codes', async () => {
    const code = async (path: string) => {
      const { status, body } = await call('GET', path, TOKENS.reader);
      return [status, body.error?.code];
    };
    expect(await code('/api/schemas/person/invalid?limit=abc')).toEqual([400, 'INVALID_REQUEST']);
    expect(await code('/api/schemas/person/invalid?limit=0')).toEqual([400, 'INVALID_REQUEST']);
    expect(await code('/api/schemas/person/invalid?limit=100000')).toEqual([
      400,
      'INVALID_REQUEST',
    ]);
    expect(await code('/api/schemas/person/invalid?asOf=-1')).toEqual([400, 'INVALID_REQUEST']);
    expect(await code('/api/schemas/person/invalid?colour=red')).toEqual([400, 'INVALID_REQUEST']);
    expect(await code('/api/schemas/person/invalid?cursor=')).toEqual([400, 'INVALID_REQUEST']);
    expect(await code('/api/schemas/nobody/invalid')).toEqual([404, 'SCHEMA_NOT_FOUND']);
    expect(await code('/api/schemas/person/validate/ghost')).toEqual([404, 'ENTITY_NOT_FOUND']);
    const anonymous = await call('GET', '/api/schemas/person/invalid');
    expect([anonymous.status, anonymous.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
  });
});

describe('tRPC schemas.invalid and schemas.validate', () => {
  it('give the typed client what REST gives', async () => {
    const client = createClient({ url: server.url, token: TOKENS.reader });
    const rest = await call('GET', '/api/schemas/person/invalid?cursor=p3', TOKENS.reader);
    const page = await client.schemas.invalid.query({ name: 'person', cursor: 'p3' });
    expect(page).toEqual(rest.body);
    expect(page.reports[0]?.problems[0]?.code).toBe('MISSING');
    const one = await client.schemas.validate.query({ name: 'person', id: 'p1' });
    expect(one).toEqual((await call('GET', '/api/schemas/person/validate/p1', TOKENS.reader)).body);
    const error = await client.schemas.invalid.query({ name: 'nobody' }).catch((e: unknown) => e);
    expect(getRhizomeError(error)).toMatchObject({ code: 'SCHEMA_NOT_FOUND', httpStatus: 404 });
    const bad = await client.schemas.invalid
      .query({ name: 'person', limit: -1 })
      .catch((e: unknown) => e);
    expect(getRhizomeError(bad)?.httpStatus).toBe(400);
  });
});
