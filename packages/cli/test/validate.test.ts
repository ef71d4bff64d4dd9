// `rhizome validate`: the real executable against a real node over a socket.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningServer } from '@rhizome/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseError, runCli, startTestNode } from './helpers.ts';

let dir: string;
let node: RunningServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rhizome-cli-validate-'));
  node = await startTestNode('cli-validate', { RHIZOME_VALIDATE_MAX_SCAN: '3' });
  const file = join(dir, 'person.json');
  await writeFile(
    file,
    JSON.stringify({
      properties: {
        name: { kind: 'string', resolver: 'lww', required: true },
        age: { kind: 'number', resolver: 'lww' },
      },
    }),
  );
  expect((await runCli(['schema', 'put', 'person', file], { url: node.url })).code).toBe(0);
  for (const args of [
    ['a1', 'name=Ann', 'age=3'],
    ['a2', 'age=4'],
    ['a3', 'name=Al', 'age=old'],
    ['a4', 'name=Bo'],
    ['a5', 'age=5'],
  ])
    expect((await runCli(['put', ...args], { url: node.url })).code).toBe(0);
}, 60_000);

afterAll(async () => {
  await node?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('rhizome validate', () => {
  it('lists invalid entities a page at a time, as a table or as JSON', async () => {
    const first = await runCli(['validate', 'person'], { url: node.url });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/a2\s+name\s+MISSING\s+required, no value/);
    expect(first.stdout).toMatch(
      /a3\s+age\s+IGNORED_VALUES\s+expected number, found string in 1 delta/,
    );
    expect(first.stdout).toContain('scanned: 3');
    expect(first.stdout).toContain('next: a3');
    const second = await runCli(['validate', 'person', '--cursor', 'a3', '--json'], {
      url: node.url,
    });
    expect(JSON.parse(second.stdout)).toEqual({
      reports: [
        {
          id: 'a5',
          schema: 'person',
          valid: false,
          problems: [{ property: 'name', code: 'MISSING' }],
        },
      ],
      cursor: null,
      scanned: 2,
    });
    const limited = await runCli(['validate', 'person', '--limit', '1', '--json'], {
      url: node.url,
    });
    expect(JSON.parse(limited.stdout)).toMatchObject({ reports: [{ id: 'a2' }], cursor: 'a2' });
  });

  it('reports on one entity', async () => {
    const valid = await runCli(['validate', 'person', 'a1'], { url: node.url });
    expect(valid).toMatchObject({ code: 0, stdout: 'a1: valid under person\n' });
    const invalid = await runCli(['validate', 'person', 'a2', '--json'], { url: node.url });
    expect(JSON.parse(invalid.stdout)).toEqual({
      id: 'a2',
      schema: 'person',
      valid: false,
      problems: [{ property: 'name', code: 'MISSING' }],
    });
  });

  it('fails with the stable code of the error', async () => {
    const unknown = await runCli(['validate', 'nobody', '--json'], { url: node.url });
    expect(unknown.code).toBe(3);
    expect(parseError(unknown).code).toBe('SCHEMA_NOT_FOUND');
    const missing = await runCli(['validate', 'person', 'ghost', '--json'], { url: node.url });
    expect([missing.code, parseError(missing).code]).toEqual([3, 'ENTITY_NOT_FOUND']);
    const usage = await runCli(['validate', 'person', '--limit', 'x', '--json'], { url: node.url });
    expect(usage.code).toBe(2);
    expect((await runCli(['validate', '--json'], { url: node.url })).code).toBe(2);
  });
});
