import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const appDir = fileURLToPath(new URL('..', import.meta.url));

// The README's start command runs this demo: it must work from a fresh data directory and keep
// everything across restarts (a second process sees the first one's deltas).
describe('pnpm start demo on embedded PGlite', () => {
  let dataDir: string | undefined;
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('persists deltas across two real processes and rebuilds its views from storage', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'rhizome-demo-'));
    const env = { ...process.env, RHIZOME_DATA_DIR: dataDir, DATABASE_URL: '' };
    const start = () => run(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: appDir, env });

    const first = (await start()).stdout;
    expect(first).toContain('restored 0 deltas');
    expect(first).toContain('"visits": 1');

    const second = (await start()).stdout;
    expect(second).toContain('restored 4 deltas');
    expect(second).toContain('"visits": 2');
    // The second run negated the first run's mood, so only the new one is visible.
    expect(second).toMatch(/mood: 1 delta\(s\)/);
    expect(second).toContain('store now holds 9 deltas');
  }, 120_000);
});
