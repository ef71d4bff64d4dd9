import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeltaBuilder, derivePublicKey, signDelta, type Delta } from '@rhizome/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startServerProcess,
  stopServerProcess,
  type ServerProcess,
} from '../../../apps/server/test/helpers.ts';
import { parseError, runCli } from './helpers.ts';

// Issue 18 item 3 at the CLI: `rhizome import` of a file with a tampered signed delta is refused
// with SIGNATURE_INVALID by a node process that requires signatures, and nothing of it is stored.

const ADMIN = '01'.repeat(32);
let time = Date.now() - 60_000;
const note = (text: string): Delta =>
  signDelta(
    createDeltaBuilder({ creator: 'alice', host: 'cli-test', timeCreated: time++ })
      .set('doc', { text })
      .build(),
    ADMIN,
  );
const tamper = (delta: Delta): Delta => ({
  ...delta,
  signature: delta.signature!.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
});
const ndjson = (deltas: readonly Delta[]) => deltas.map((d) => JSON.stringify(d)).join('\n') + '\n';

let dir: string;
let node: ServerProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rhizome-cli-signatures-'));
  node = await startServerProcess('cli-signatures', {
    RHIZOME_DATA_DIR: join(dir, 'data'),
    RHIZOME_REQUIRE_SIGNATURES: 'creators-with-keys',
    RHIZOME_ADMIN_KEYS: derivePublicKey(ADMIN),
  });
}, 120_000);
afterAll(async () => {
  if (node !== undefined) await stopServerProcess(node);
  await rm(dir, { recursive: true, force: true });
});

const has = async (id: string) => (await fetch(`${node.url}/api/deltas/${id}`)).status === 200;

describe('rhizome import with signatures required', { timeout: 120_000 }, () => {
  it('refuses a file with a tampered signed delta with SIGNATURE_INVALID and stores nothing', async () => {
    const good = note('kept out');
    const bad = tamper(note('tampered'));
    const file = join(dir, 'tampered.ndjson');
    await writeFile(file, ndjson([good, bad]));

    const result = await runCli(['import', file, '--json'], { url: node.url });
    expect(result.code).toBe(1);
    const error = parseError(result);
    expect(error.code).toBe('SIGNATURE_INVALID');
    expect(error.message).toContain('line 2');
    expect(await has(good.id)).toBe(false);
    expect(await has(bad.id)).toBe(false);
    await expect(access(`${file}.checkpoint`)).rejects.toThrow();

    // The same file without the tampering goes in: the refusal was the signature's.
    const clean = join(dir, 'clean.ndjson');
    const fine = note('fine');
    await writeFile(clean, ndjson([good, fine]));
    const accepted = await runCli(['import', clean, '--json'], { url: node.url });
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(JSON.parse(accepted.stdout)).toMatchObject({ stored: 2 });
    expect(await has(good.id)).toBe(true);
    expect(await has(bad.id)).toBe(false);
  });
});
