import type { Command } from '../command.ts';
import { CliError, CliErrorCode, ExitCode } from '../errors.ts';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run a Rhizome node (the same server as `pnpm start`)',
  usage: 'serve [--port <n>] [--host <addr>] [--data-dir <dir>] [--memory] [--node-id <id>]',
  optionHelp: [
    '--port <n>        port, 0 for any free one (env PORT, default 8080)',
    '--host <addr>     bind address (env HOST; loopback only without RHIZOME_TOKENS)',
    '--data-dir <dir>  PGlite directory (env RHIZOME_DATA_DIR, default ./.rhizome-data/pglite)',
    '--memory          keep everything in memory (nothing survives the process)',
    '--node-id <id>    stamped as host on deltas the node builds (env RHIZOME_NODE_ID)',
    'Every other setting comes from the environment, as documented in docs/http-api.md.',
    'Prints the URL once listening; stops cleanly on SIGINT/SIGTERM.',
  ],
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    memory: { type: 'boolean' },
    'node-id': { type: 'string' },
  },
  async run({ options, json, io }) {
    // Loaded here so that every other command starts without the storage engines.
    const { ConfigError, loadConfig, startServer } = await import('@rhizome/server');
    const overrides: Record<string, string | undefined> = {
      PORT: typeof options.port === 'string' ? options.port : undefined,
      HOST: typeof options.host === 'string' ? options.host : undefined,
      RHIZOME_DATA_DIR: typeof options['data-dir'] === 'string' ? options['data-dir'] : undefined,
      RHIZOME_NODE_ID: typeof options['node-id'] === 'string' ? options['node-id'] : undefined,
    };
    const env = { ...io.env };
    for (const [key, value] of Object.entries(overrides)) if (value !== undefined) env[key] = value;
    let config;
    try {
      config = loadConfig(env, { cwd: io.cwd });
    } catch (error) {
      if (error instanceof ConfigError) {
        throw new CliError(CliErrorCode.usageInvalid, error.message, ExitCode.usage, {
          details: { problems: error.problems },
        });
      }
      throw error;
    }
    let store;
    if (options.memory === true) {
      const { createMemoryStore } = await import('@rhizome/storage');
      store = createMemoryStore();
    }
    const server = await startServer(config, store === undefined ? {} : { store });
    io.stdout.write(
      json
        ? `${JSON.stringify({ url: server.url, port: server.port })}\n`
        : `rhizome node listening on ${server.url}\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        // A second signal while closing falls through to Node's default: exit at once.
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
    return ExitCode.ok;
  },
};
