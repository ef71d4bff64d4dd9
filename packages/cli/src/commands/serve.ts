import { applyConfigFlags, CONFIG_FLAGS, type ConfigError } from '@rhizome/server/config';
import type { Command, OptionsConfig } from '../command.ts';
import { CliError, CliErrorCode, ExitCode } from '../errors.ts';

const flagLeft = ({ flag, value }: { flag: string; value?: string }) =>
  `--${flag}${value === undefined ? '' : ` ${value}`}`;
const flagWidth = Math.max(...CONFIG_FLAGS.map((entry) => flagLeft(entry).length)) + 2;
const flagHelp = CONFIG_FLAGS.map(
  (entry) => `${flagLeft(entry).padEnd(flagWidth)}${entry.variable}: ${entry.help}`,
);

const flagOptions: OptionsConfig = Object.fromEntries(
  CONFIG_FLAGS.map(({ flag, multiple }) => [
    flag,
    multiple === true ? { type: 'string', multiple: true } : { type: 'string' },
  ]),
);

/** Names the flag in a problem when the value came from one: `--port (PORT): …`. */
function attribute(
  problems: readonly { variable: string; message: string }[],
  given: Readonly<Record<string, unknown>>,
): { variable: string; message: string }[] {
  return problems.map((problem) => {
    const entry = CONFIG_FLAGS.find(
      ({ variable, flag }) => variable === problem.variable && given[flag] !== undefined,
    );
    return entry === undefined
      ? problem
      : { variable: `--${entry.flag} (${problem.variable})`, message: problem.message };
  });
}

/** Matched on the stable code, as every error here: two copies of a module break `instanceof`. */
function isConfigError(error: unknown): error is ConfigError {
  return (error as { code?: unknown } | null)?.code === 'CONFIG_INVALID';
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run a Rhizome node (the same server as `pnpm start`)',
  usage:
    'serve [--port <n>] [--host <addr>] [--data-dir <dir>] [--memory] [--plugin <pkg>]… [options]',
  optionHelp: [
    ...flagHelp,
    `${'--memory'.padEnd(flagWidth)}keep everything in memory (nothing survives the process)`,
    'A flag overrides its environment variable; both are checked the same way (docs/http-api.md).',
    'Prints the URL once listening; stops cleanly on SIGINT/SIGTERM.',
  ],
  options: { ...flagOptions, memory: { type: 'boolean' } },
  async run({ options, json, io }) {
    // Loaded here so that every other command starts without the storage engines.
    const { loadConfig, startServer } = await import('@rhizome/server');
    const env = applyConfigFlags(io.env, options);
    const toUsageError = (error: ConfigError) => {
      const problems = attribute(error.problems, options);
      return new CliError(
        CliErrorCode.usageInvalid,
        `Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`,
        ExitCode.usage,
        { details: { problems } },
      );
    };
    let config;
    try {
      config = loadConfig(env, { cwd: io.cwd });
    } catch (error) {
      if (isConfigError(error)) throw toUsageError(error);
      throw error;
    }
    let store;
    if (options.memory === true) {
      const { createMemoryStore } = await import('@rhizome/storage');
      store = createMemoryStore();
    }
    let server;
    try {
      server = await startServer(config, store === undefined ? {} : { store });
    } catch (error) {
      // Plugins are imported at start, so their problems arrive here.
      if (isConfigError(error)) throw toUsageError(error);
      throw error;
    }
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
