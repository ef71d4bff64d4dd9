import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, access } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningServer } from '@rhizome/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashLine } from '../src/checkpoint.ts';
import { BIN, parseError, runCli, startTestNode } from './helpers.ts';

let dir: string;
const nodes: RunningServer[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rhizome-cli-'));
});

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.close()));
  await rm(dir, { recursive: true, force: true });
});

async function startNode(name: string, env?: Record<string, string>): Promise<RunningServer> {
  const node = await startTestNode(name, env);
  nodes.push(node);
  return node;
}

/** A port nothing listens on: bound once by us, then released. */
async function findClosedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function seed(node: RunningServer, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const response = await fetch(`${node.url}/api/entities/e${i % 7}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ properties: { n: i, label: `item ${i}` } }),
    });
    expect(response.status).toBe(200);
  }
}

function deltaIds(ndjson: string): string[] {
  return ndjson
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as { id: string }).id)
    .sort();
}

describe('rhizome --help', () => {
  it('lists every command and the exit codes, and each command has its own help', async () => {
    const [main, get, schema] = await Promise.all([
      runCli(['--help']),
      runCli(['get', '--help']),
      runCli(['schema', '--help']),
    ]);
    expect(main.code).toBe(0);
    for (const name of [
      'serve',
      'put',
      'get',
      'hyperview',
      'negate',
      'schema put',
      'export',
      'import',
      'types',
      'status',
    ]) {
      expect(main.stdout).toContain(name);
    }
    expect(main.stdout).toContain('Exit codes:');

    expect(get.code).toBe(0);
    expect(get.stdout).toContain('Usage: rhizome get <entity>');
    expect(get.stdout).toContain('--as-of');

    expect(schema.code).toBe(0);
    expect(schema.stdout).toContain('rhizome schema put <name> <file.json>');
  });
});

describe('against a running node', () => {
  let node: RunningServer;
  beforeAll(async () => {
    node = await startNode('cli-a');
  });

  it('puts, gets, shows the hyperview and negates an entity', async () => {
    const put = await runCli(
      ['put', 'ada', 'name=Ada', 'age=36', 'friend={"id":"bob"}', '--json'],
      { url: node.url },
    );
    expect(put.code).toBe(0);
    const written = JSON.parse(put.stdout) as { id: string; status: string };
    expect(written).toEqual({ id: expect.any(String), status: 'stored' });

    const get = await runCli(['get', 'ada', '--json'], { url: node.url });
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toEqual({
      id: 'ada',
      name: 'Ada',
      age: 36,
      friend: { id: 'bob' },
    });

    const table = await runCli(['get', 'ada'], { url: node.url });
    expect(table.stdout).toMatch(/name\s+Ada/);

    const hyperview = await runCli(['hyperview', 'ada', '--json'], { url: node.url });
    const hv = JSON.parse(hyperview.stdout) as {
      id: string;
      properties: Record<string, { id: string }[]>;
    };
    expect(hv.id).toBe('ada');
    expect(hv.properties.name?.map((delta) => delta.id)).toEqual([written.id]);

    const before = await runCli(['get', 'ada', '--as-of', '0', '--json'], { url: node.url });
    expect(before.code).toBe(3);

    const negate = await runCli(['negate', written.id, '--json'], { url: node.url });
    expect(negate.code).toBe(0);
    expect(JSON.parse(negate.stdout)).toMatchObject({ status: 'stored' });

    const gone = await runCli(['get', 'ada', '--json'], { url: node.url });
    expect(gone.code).toBe(3);
    expect(parseError(gone)).toMatchObject({ code: 'ENTITY_NOT_FOUND' });
  });

  it('stores a schema, reads it back, resolves under it and writes its types', async () => {
    const schema = {
      name: 'person',
      properties: {
        name: { kind: 'string', resolver: 'lww' },
        tags: { kind: 'string', resolver: 'set' },
      },
    };
    const file = join(dir, 'person.json');
    await writeFile(file, JSON.stringify(schema));
    const put = await runCli(['schema', 'put', 'person', file, '--json'], { url: node.url });
    expect(put.code).toBe(0);
    expect(JSON.parse(put.stdout)).toMatchObject({ id: expect.any(String), schema });

    const get = await runCli(['schema', 'get', 'person', '--json'], { url: node.url });
    expect(JSON.parse(get.stdout)).toEqual(schema);

    const list = await runCli(['schema', 'list', '--json'], { url: node.url });
    expect(JSON.parse(list.stdout)).toEqual({ schemas: [schema] });

    await runCli(['put', 'bo', 'name=Bo', 'tags=x', 'other=1'], { url: node.url });
    const view = await runCli(['get', 'bo', '--schema', 'person', '--json'], { url: node.url });
    expect(JSON.parse(view.stdout)).toEqual({ id: 'bo', name: 'Bo', tags: ['x'] });

    const types = await runCli(['types', '--out', 'types.ts'], { url: node.url, cwd: dir });
    expect(types.code).toBe(0);
    const text = await readFile(join(dir, 'types.ts'), 'utf8');
    expect(text).toContain('export interface PersonView {');
    expect(text).toContain('readonly tags: string[];');
    expect(text).toContain('"person": PersonView;');

    const missing = await runCli(['schema', 'get', 'nope', '--json'], { url: node.url });
    expect(missing.code).toBe(3);
    expect(parseError(missing).code).toBe('SCHEMA_NOT_FOUND');
  });

  it('queries a schema with a filter, a sort, a count and pages (issue 14)', async () => {
    const schema = {
      name: 'city',
      properties: {
        name: { kind: 'string', resolver: 'lww' },
        people: { kind: 'number', resolver: 'lww' },
      },
    };
    const file = join(dir, 'city.json');
    await writeFile(file, JSON.stringify(schema));
    expect((await runCli(['schema', 'put', 'city', file], { url: node.url })).code).toBe(0);
    for (const [id, name, people] of [
      ['c1', 'Paris', 2100],
      ['c2', 'Lyon', 520],
      ['c3', 'Lille', 230],
      ['c4', 'Nice', 340],
    ] as const) {
      await runCli(['put', id, `name=${name}`, `people=${people}`], { url: node.url });
    }
    const args = [
      'query',
      'city',
      '--where',
      '{"or":[{"name":{"startsWith":"L"}},{"people":{"gt":1000}}]}',
      '--order-by',
      'people:desc',
      '--count',
      '--limit',
      '2',
    ];
    const first = await runCli([...args, '--json'], { url: node.url });
    expect(first.code).toBe(0);
    const page = JSON.parse(first.stdout) as {
      entities: { id: string }[];
      cursor: string;
      total: number;
    };
    expect(page.entities.map((entity) => entity.id)).toEqual(['c1', 'c2']);
    expect(page.total).toBe(3);
    const second = await runCli([...args, '--cursor', page.cursor], { url: node.url });
    expect(second.stdout).toMatch(/c3\s+Lille\s+230/);
    expect(second.stdout).toContain('total: 3');
    expect(second.stdout).not.toContain('next:');

    const usage = await runCli(['query', 'city', '--where', '{x', '--json'], { url: node.url });
    expect(usage.code).toBe(2);
    const invalid = await runCli(['query', 'city', '--where', '{"name":{"like":"P"}}', '--json'], {
      url: node.url,
    });
    expect(invalid.code).toBe(1);
    expect(parseError(invalid)).toMatchObject({
      code: 'QUERY_INVALID',
      details: { path: ['where', 'name'] },
    });
  });

  it('reports status as JSON', async () => {
    const status = await runCli(['status', '--json'], { url: node.url });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      url: node.url,
      nodeId: 'cli-a',
      deltas: expect.any(Number),
      entities: expect.any(Number),
    });
  });
});

describe('export and import', () => {
  let source: RunningServer;
  let exported: string;
  const file = () => join(dir, 'all.ndjson');

  beforeAll(async () => {
    source = await startNode('cli-source');
    await seed(source, 25);
  });

  it('exports every delta page by page and imports them into a fresh node', async () => {
    const result = await runCli(['export', '--out', file(), '--page-size', '7', '--json'], {
      url: source.url,
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ deltas: 25 });
    exported = await readFile(file(), 'utf8');
    expect(deltaIds(exported)).toHaveLength(25);

    const toStdout = await runCli(['export'], { url: source.url });
    expect(deltaIds(toStdout.stdout)).toEqual(deltaIds(exported));

    const target = await startNode('cli-target');
    const imported = await runCli(['import', file(), '--batch-size', '10', '--json'], {
      url: target.url,
    });
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({
      stored: 25,
      duplicate: 0,
      skipped: 0,
      batches: 3,
    });
    await expect(access(`${file()}.checkpoint`)).rejects.toThrow();

    const [a, b] = await Promise.all([source.node.status(), target.node.status()]);
    expect(b.deltas).toBe(a.deltas);
    expect(b.entities).toBe(a.entities);
    const again = await runCli(['export'], { url: target.url });
    expect(deltaIds(again.stdout)).toEqual(deltaIds(exported));
  });

  it('resumes from the checkpoint of the last acknowledged line, and ends with the same set', async () => {
    const target = await startNode('cli-resume');
    const lines = exported.split('\n').filter((line) => line !== '');
    const checkpoint = `${file()}.checkpoint`;
    // As an interrupted run leaves it: the first 10 lines acknowledged.
    await writeFile(
      checkpoint,
      JSON.stringify({
        version: 1,
        file: file(),
        url: target.url,
        line: 10,
        lineHash: hashLine(lines[9] as string),
      }),
    );
    const resumed = await runCli(['import', file(), '--json'], { url: target.url });
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ skipped: 10, stored: 15, duplicate: 0 });
    expect((await target.node.status()).deltas).toBe(15);

    // Idempotent ingest: a full re-run only fills the gap.
    const full = await runCli(['import', file(), '--restart', '--json'], { url: target.url });
    expect(JSON.parse(full.stdout)).toMatchObject({ skipped: 0, stored: 10, duplicate: 15 });
    const after = await runCli(['export'], { url: target.url });
    expect(deltaIds(after.stdout)).toEqual(deltaIds(exported));
  });

  it('restores a backup into a node with tokens with an admin token, keeping the creators (issue 15)', async () => {
    const tokens = 'admin-token-0123456789=root:admin,writer-token-0123456789=bob:read+write';
    const target = await startNode('cli-restore', { RHIZOME_TOKENS: tokens });
    const asWriter = await runCli(['import', file(), '--restart', '--json'], {
      url: target.url,
      env: { RHIZOME_TOKEN: 'writer-token-0123456789' },
    });
    expect(asWriter.code).not.toBe(0);
    expect(parseError(asWriter).code).toBe('CREATOR_MISMATCH');
    expect((await target.node.status()).deltas).toBe(0);

    const asAdmin = await runCli(['import', file(), '--restart', '--json'], {
      url: target.url,
      env: { RHIZOME_TOKEN: 'admin-token-0123456789' },
    });
    expect(asAdmin.code).toBe(0);
    expect(JSON.parse(asAdmin.stdout)).toMatchObject({ stored: 25, duplicate: 0 });
    const restored = await runCli(['export'], {
      url: target.url,
      env: { RHIZOME_TOKEN: 'admin-token-0123456789' },
    });
    // The same deltas, byte for byte: ids cover the creator, so no creator was rewritten.
    expect(deltaIds(restored.stdout)).toEqual(deltaIds(exported));
    const creators = new Set(
      restored.stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => (JSON.parse(line) as { creator: string }).creator),
    );
    expect(creators).not.toContain('root');
  });

  it('refuses a checkpoint that no longer matches the file', async () => {
    const target = await startNode('cli-stale');
    const checkpoint = join(dir, 'stale.checkpoint');
    await writeFile(
      checkpoint,
      JSON.stringify({
        version: 1,
        file: file(),
        url: target.url,
        line: 3,
        lineHash: hashLine('something else'),
      }),
    );
    const result = await runCli(['import', file(), '--checkpoint', checkpoint, '--json'], {
      url: target.url,
    });
    expect(result.code).toBe(2);
    expect(parseError(result).code).toBe('CHECKPOINT_STALE');
  });

  it('stops at an invalid delta with the node’s code and the line, keeping what came before', async () => {
    const target = await startNode('cli-invalid');
    const lines = exported.split('\n').filter((line) => line !== '');
    const bad = join(dir, 'bad.ndjson');
    await writeFile(
      bad,
      [...lines.slice(0, 4), '{"pointers":"nope"}', ...lines.slice(4, 6)].join('\n'),
    );
    const result = await runCli(['import', bad, '--batch-size', '2', '--json'], {
      url: target.url,
    });
    expect(result.code).toBe(1);
    const error = parseError(result);
    expect(error.code).toBe('DELTA_INVALID');
    expect(error.message).toContain('line 5');
    expect((await target.node.status()).deltas).toBe(4);
    const saved = JSON.parse(await readFile(`${bad}.checkpoint`, 'utf8')) as { line: number };
    expect(saved.line).toBe(4);
  });
});

describe('exit codes', () => {
  it('2 for usage errors, with a stable code', async () => {
    // Independent runs: in parallel, to keep the suite short.
    const [unknown, badFlag, noProps, badUrl, missingFile, peers] = await Promise.all([
      runCli(['frobnicate', '--json']),
      runCli(['get', 'ada', '--nope', '--json']),
      runCli(['put', 'ada', '--json']),
      runCli(['status', '--url', 'ftp://x', '--json']),
      runCli(['import', join(dir, 'missing.ndjson'), '--json']),
      runCli(['peers', 'add', '--json']),
    ]);
    for (const result of [unknown, badFlag, noProps, badUrl, missingFile, peers]) {
      expect(result.code).toBe(2);
    }
    expect(parseError(unknown).code).toBe('USAGE_INVALID');
    expect(parseError(badFlag).code).toBe('USAGE_INVALID');
    expect(parseError(noProps).message).toContain('at least one property');
    expect(parseError(badUrl).code).toBe('USAGE_INVALID');
    expect(parseError(missingFile).code).toBe('FILE_UNREADABLE');
    expect(parseError(peers).code).toBe('USAGE_INVALID');
  });

  it('5 when the node refuses the token', async () => {
    const node = await startNode('cli-auth', {
      RHIZOME_TOKENS: 'reader-token-0123456789=carol:read',
    });
    const [anonymous, reader, readerWrite] = await Promise.all([
      runCli(['status', '--json'], { url: node.url }),
      runCli(['status', '--json', '--token', 'reader-token-0123456789'], { url: node.url }),
      runCli(['put', 'x', 'v=1', '--json'], {
        url: node.url,
        env: { RHIZOME_TOKEN: 'reader-token-0123456789' },
      }),
    ]);
    expect(anonymous.code).toBe(5);
    expect(parseError(anonymous).code).toBe('UNAUTHENTICATED');
    expect(reader.code).toBe(0);
    expect(readerWrite.code).toBe(5);
    expect(parseError(readerWrite).code).toBe('FORBIDDEN');
  });

  it('4 when no node answers', async () => {
    const port = await findClosedPort();
    const result = await runCli(['status', '--json'], { url: `http://127.0.0.1:${port}` });
    expect(result.code).toBe(4);
    expect(parseError(result).code).toBe('SERVER_UNREACHABLE');

    const readable = await runCli(['status'], { url: `http://127.0.0.1:${port}` });
    expect(readable.code).toBe(4);
    expect(readable.stderr).toContain('[SERVER_UNREACHABLE]');
  });
});

describe('rhizome serve', () => {
  it('starts a node, prints its URL, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--memory', '--json'], {
      env: { ...process.env, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let buffer = '';
        child.stdout.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          const line = buffer.split('\n').find((l) => l.includes('"url"'));
          if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      const put = await runCli(['put', 'x', 'v=1'], { url });
      expect(put.code).toBe(0);
      const status = await runCli(['status', '--json'], { url });
      expect(JSON.parse(status.stdout)).toMatchObject({ deltas: 1 });
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
