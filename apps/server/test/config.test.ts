import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { parseTokens } from '../src/tokens.ts';

function problemsOf(env: Record<string, string>): Record<string, string> {
  try {
    loadConfig(env, { cwd: '/srv' });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return Object.fromEntries(error.problems.map((p) => [p.variable, p.message]));
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has defaults that run open on loopback with PGlite under the invocation directory', () => {
    const config = loadConfig({}, { cwd: '/srv' });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir: '/srv/.rhizome-data/pglite',
      databaseUrl: undefined,
      tokens: [],
      bodyLimit: 4 * 1024 * 1024,
      logLevel: 'info',
    });
    expect(config.nodeId.length).toBeGreaterThan(0);
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        PORT: '0',
        HOST: '0.0.0.0',
        RHIZOME_DATA_DIR: 'data/here',
        DATABASE_URL: 'postgres://u@db:5432/x',
        RHIZOME_DATABASE_SCHEMA: 'node_a',
        RHIZOME_NODE_ID: 'node-a',
        RHIZOME_TOKENS: 'tok-aaaaaaaaaaaaaaaa=alice:read+write,tok-bbbbbbbbbbbbbbbb=root:admin',
        RHIZOME_BODY_LIMIT: '2048',
        LOG_LEVEL: 'debug',
      },
      { cwd: '/srv' },
    );
    expect(config).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      dataDir: '/srv/data/here',
      databaseUrl: 'postgres://u@db:5432/x',
      databaseSchema: 'node_a',
      nodeId: 'node-a',
      bodyLimit: 2048,
      logLevel: 'debug',
    });
    expect(config.tokens).toEqual([
      { token: 'tok-aaaaaaaaaaaaaaaa', creator: 'alice', scopes: ['read', 'write'] },
      { token: 'tok-bbbbbbbbbbbbbbbb', creator: 'root', scopes: ['admin'] },
    ]);
    // With tokens the default host is every interface.
    expect(loadConfig({ RHIZOME_TOKENS: 'tok-aaaaaaaaaaaaaaaa=alice:read' }).host).toBe('0.0.0.0');
  });

  it('reports every bad value at once, each with a clear message', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      RHIZOME_BODY_LIMIT: '12',
      LOG_LEVEL: 'loud',
      RHIZOME_TOKENS: 'short=alice:read',
      RHIZOME_DATABASE_SCHEMA: 'Bad-Name',
    });
    expect(problems.PORT).toMatch(/integer from 0 to 65535.*"eighty"/);
    expect(problems.DATABASE_URL).toMatch(/postgres:\/\//);
    expect(problems.RHIZOME_BODY_LIMIT).toMatch(/integer from 1024/);
    expect(problems.LOG_LEVEL).toMatch(/one of fatal, error/);
    expect(problems.RHIZOME_TOKENS).toMatch(/at least 16 characters/);
    expect(problems.RHIZOME_DATABASE_SCHEMA).toMatch(/identifier/);
    expect(problemsOf({ PORT: '70000' }).PORT).toMatch(/65535/);
  });

  it('reads the sync settings, normalising peer addresses', () => {
    const config = loadConfig(
      {
        RHIZOME_PEERS: 'ws://10.0.0.2:8080/sync, http://10.0.0.3:8080,ws://10.0.0.2:8080/sync',
        RHIZOME_PEER_TOKEN: 'peer-token-0123456789',
        RHIZOME_SYNC_SECRET: 'a-shared-secret-of-some-length',
        RHIZOME_ADVERTISE: 'wss://node-a.example.org',
        RHIZOME_SYNC_COMPRESSION: 'off',
        RHIZOME_SYNC_RECENT_ENTRIES: '0',
      },
      { cwd: '/srv' },
    );
    expect(config.sync).toEqual({
      peers: ['ws://10.0.0.2:8080/sync', 'ws://10.0.0.3:8080/sync'],
      peerToken: 'peer-token-0123456789',
      secret: 'a-shared-secret-of-some-length',
      advertise: ['wss://node-a.example.org/sync'],
      compress: false,
      maxPendingHandshakes: 64,
      maxPendingHandshakesPerAddress: 8,
      maxBufferedBytes: 1_048_576,
      stallTimeoutMs: 30_000,
      recentEntries: 0,
    });
    expect(loadConfig({}, { cwd: '/srv' }).sync).toEqual({
      peers: [],
      peerToken: undefined,
      secret: undefined,
      advertise: [],
      compress: true,
      maxPendingHandshakes: 64,
      maxPendingHandshakesPerAddress: 8,
      maxBufferedBytes: 1_048_576,
      stallTimeoutMs: 30_000,
      recentEntries: 4_096,
    });
    expect(
      problemsOf({ RHIZOME_SYNC_RECENT_ENTRIES: '-1' }).RHIZOME_SYNC_RECENT_ENTRIES,
    ).toBeDefined();
    expect(problemsOf({ RHIZOME_SYNC_COMPRESSION: 'yes' }).RHIZOME_SYNC_COMPRESSION).toMatch(
      /on or off/,
    );
  });

  it('reads the signature policy and admin keys', () => {
    const key = 'AB'.repeat(32);
    const config = loadConfig(
      { RHIZOME_REQUIRE_SIGNATURES: 'creators-with-keys', RHIZOME_ADMIN_KEYS: `${key}, ${key}` },
      { cwd: '/srv' },
    );
    expect({ require: config.requireSignatures, admin: config.adminKeys }).toEqual({
      require: 'creators-with-keys',
      admin: ['ab'.repeat(32)],
    });
    const defaults = loadConfig({}, { cwd: '/srv' });
    expect({ require: defaults.requireSignatures, admin: defaults.adminKeys }).toEqual({
      require: 'off',
      admin: [],
    });
    const problems = problemsOf({ RHIZOME_REQUIRE_SIGNATURES: 'yes', RHIZOME_ADMIN_KEYS: 'abc' });
    expect(problems.RHIZOME_REQUIRE_SIGNATURES).toMatch(/off, creators-with-keys, all/);
    expect(problems.RHIZOME_ADMIN_KEYS).toMatch(/entry 1 must be an Ed25519 public key/);
  });

  it('names the bad peer entry and short credentials', () => {
    // The entry is named once: the whole variable's value is not repeated after it (issue 16).
    expect(problemsOf({ RHIZOME_PEERS: 'ws://ok:1/sync,ftp://nope' }).RHIZOME_PEERS).toBe(
      'entry 2: "ftp://nope" must be a ws://, wss://, http:// or https:// URL',
    );
    expect(problemsOf({ RHIZOME_ADVERTISE: 'not a url' }).RHIZOME_ADVERTISE).toMatch(
      /^entry 1: "not a url" is not a URL/,
    );
    const problems = problemsOf({ RHIZOME_PEER_TOKEN: 'short', RHIZOME_SYNC_SECRET: 'tiny' });
    expect(problems.RHIZOME_PEER_TOKEN).toMatch(/at least 16/);
    expect(problems.RHIZOME_SYNC_SECRET).toMatch(/at least 16/);
  });

  it('refuses a public HOST without tokens', () => {
    expect(problemsOf({ HOST: '0.0.0.0' }).HOST).toMatch(/loopback only/);
    expect(loadConfig({ HOST: 'localhost' }).host).toBe('localhost');
  });

  it('formats the whole list in the error message', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(
      /Invalid configuration:\n {2}PORT: .*\n {2}LOG_LEVEL: /,
    );
  });
});

describe('parseTokens', () => {
  it('accepts JSON', () => {
    const result = parseTokens(
      JSON.stringify([{ token: 'x'.repeat(16), creator: 'alice', scopes: ['read', 'peer'] }]),
    );
    expect(result).toEqual({
      ok: true,
      tokens: [{ token: 'x'.repeat(16), creator: 'alice', scopes: ['read', 'peer'] }],
    });
  });

  it('explains what is wrong', () => {
    expect(parseTokens('[nope')).toEqual({
      ok: false,
      message: 'looks like JSON but does not parse',
    });
    expect(parseTokens('abc')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/entry 1 is not/),
    });
    expect(parseTokens(`${'t'.repeat(16)}=alice:read+fly`)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/entry 1 \(scopes\.1\)/),
    });
    expect(parseTokens(`${'t'.repeat(16)}=a:read,${'t'.repeat(16)}=b:read`)).toMatchObject({
      ok: false,
      message: 'entry 2 repeats a token',
    });
  });
});
