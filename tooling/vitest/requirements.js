// What some test files need from the machine: a PostgreSQL server, a Chromium binary, the output
// of `pnpm build`. A project's
// globalSetup probes once per run (`probeRequirements`) and provides the answers; a test file
// reads them with `inject` and skips its suites when the thing is missing. Without it the run
// says, in one line per missing thing, what to install. With RHIZOME_REQUIRE_ALL_TESTS=1 (CI)
// a missing server or browser fails the run instead: CI must run every test.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** The PostgreSQL the tests use: RHIZOME_TEST_DATABASE_URL, else DATABASE_URL, else 127.0.0.1:5432. */
export function testDatabaseUrl() {
  return (
    process.env.RHIZOME_TEST_DATABASE_URL || process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL
  );
}

function reachable(url, timeoutMs = 2_000) {
  let host = '127.0.0.1';
  let port = 5432;
  try {
    const parsed = new URL(url);
    host = parsed.hostname.replace(/^\[|\]$/g, '') || host;
    port = Number(parsed.port || 5432);
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A Chromium binary: RHIZOME_CHROMIUM or CHROME_PATH, Debian's package, or playwright's cache. */
export function findChromium() {
  const candidates = [
    process.env.RHIZOME_CHROMIUM,
    process.env.CHROME_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
  ].filter((path) => path !== undefined && path !== '');
  for (const path of candidates) if (existsSync(path)) return path;
  const cache = process.env.PLAYWRIGHT_BROWSERS_PATH || join(homedir(), '.cache', 'ms-playwright');
  try {
    for (const entry of readdirSync(cache).sort().reverse()) {
      if (!entry.startsWith('chromium')) continue;
      for (const sub of [
        'chrome-linux/chrome',
        'chrome-linux64/chrome',
        'chrome-linux/headless_shell',
      ]) {
        const path = join(cache, entry, sub);
        if (existsSync(path)) return path;
      }
    }
  } catch {
    // no playwright cache
  }
  return undefined;
}

const HOW_TO = {
  postgres: (url) =>
    `PostgreSQL is not reachable at ${url.replace(/\/\/[^@]*@/, '//')}: its tests are skipped. ` +
    'To run them, start PostgreSQL 15+ there (Debian: apt-get install postgresql) or point ' +
    'RHIZOME_TEST_DATABASE_URL at a server.',
  chromium: () =>
    'No Chromium found: the Explorer browser test is skipped. To run it, install one ' +
    '(Debian: apt-get install chromium) or point RHIZOME_CHROMIUM at a Chromium binary.',
};

/** The newest modification time of the files under `dir` (0 when there is none). */
function newestMtime(dir) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.isFile()) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Whether `file`, an output of `pnpm build`, exists and is newer than every file under
 * `sourceDirs`: provides `built` (true or false) to the project's test files, which run the built
 * code. Missing or older than the sources, its tests are skipped with one line saying to build
 * (or, with RHIZOME_REQUIRE_ALL_TESTS=1, the run fails: CI builds first).
 * @param {import('vitest/node').TestProject} project
 * @param {string} file absolute path
 * @param {readonly string[]} [sourceDirs] absolute paths of the sources it is built from
 */
export function probeBuild(project, file, sourceDirs = []) {
  const shown = relative(process.cwd(), file) || file;
  let problem;
  if (!existsSync(file)) problem = `${shown} is missing`;
  else {
    const built = statSync(file).mtimeMs;
    const stale = sourceDirs.find((dir) => newestMtime(dir) > built);
    if (stale !== undefined)
      problem = `${shown} is older than ${relative(process.cwd(), stale) || stale}`;
  }
  if (problem !== undefined) {
    report(
      'build',
      `${problem}: the tests of the built code are skipped. To run them, run \`pnpm build\` first.`,
    );
  }
  project.provide('built', problem === undefined);
}

function report(kind, line) {
  if (process.env.RHIZOME_REQUIRE_ALL_TESTS === '1') {
    throw new Error(`${line} (RHIZOME_REQUIRE_ALL_TESTS=1: every test must run)`);
  }
  // globalSetup runs in vitest's main process once per project: say it once per run.
  const flag = `RHIZOME_SKIP_NOTED_${kind.toUpperCase()}`;
  if (process.env[flag] === '1') return;
  process.env[flag] = '1';
  console.warn(`[skip] ${line}`);
}

/**
 * Probes what `needs` lists and provides `postgres` (the URL, or null) and `chromium` (the path,
 * or null) to the project's test files.
 * @param {import('vitest/node').TestProject} project
 * @param {readonly ('postgres' | 'chromium')[]} needs
 */
export async function probeRequirements(project, needs) {
  if (needs.includes('postgres')) {
    const url = testDatabaseUrl();
    const ok = await reachable(url);
    if (!ok) report('postgres', HOW_TO.postgres(url));
    project.provide('postgres', ok ? url : null);
  }
  if (needs.includes('chromium')) {
    const path = findChromium();
    if (path === undefined) report('chromium', HOW_TO.chromium());
    project.provide('chromium', path ?? null);
  }
}
