// What `main.ts` runs: the configuration from flags and environment, the node, and a clean stop on
// SIGTERM or SIGINT. Problems an operator can fix print one line on stderr and exit 1.
import { parseArgs } from 'node:util';
import { applyConfigFlags, CONFIG_FLAGS, ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startServer } from './server.ts';
import { describeStartupError } from './startup-errors.ts';

/** Extra time the whole stop may take beyond RHIZOME_SHUTDOWN_TIMEOUT_MS before exiting anyway. */
const STOP_MARGIN_MS = 5_000;

function fail(line: string): never {
  console.error(line);
  process.exit(1);
}

let config;
try {
  let flags;
  try {
    flags = parseArgs({
      args: process.argv.slice(2).filter((arg) => arg !== '--'),
      options: Object.fromEntries(
        CONFIG_FLAGS.map(({ flag, multiple }) => [
          flag,
          { type: 'string' as const, multiple: multiple === true },
        ]),
      ),
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new ConfigError([{ variable: 'arguments', message: (error as Error).message }]);
  }
  config = loadConfig(applyConfigFlags(process.env, flags));
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}

const logger = createLogger(config);
let server;
try {
  server = await startServer(config, { logger });
} catch (error) {
  // Plugins are checked at start (they must be imported): their problems read like the others.
  if (error instanceof ConfigError) fail(error.message);
  const line = describeStartupError(error, config);
  if (line !== undefined) fail(`rhizome-server: ${line}`);
  logger.fatal({ err: error }, 'could not start the node');
  process.exit(1);
}

/**
 * One Ctrl-C can arrive two or three times within milliseconds: the terminal signals the whole
 * process group, and wrappers (pnpm, tsx) pass it on. Only a later one means "do not wait".
 */
const REPEAT_GRACE_MS = 1_000;

let stoppedAt: number | undefined;
const stop = (signal: string) => {
  if (stoppedAt !== undefined) {
    if (Date.now() - stoppedAt < REPEAT_GRACE_MS) return;
    logger.warn({ signal }, 'second signal: exiting without waiting');
    process.exit(1);
  }
  stoppedAt = Date.now();
  logger.info({ signal }, 'signal received');
  // Connections get RHIZOME_SHUTDOWN_TIMEOUT_MS to finish; a stop that hangs past that and a
  // margin (a wedged database, say) exits non-zero rather than never.
  setTimeout(() => {
    logger.error({ signal }, 'shutdown did not finish in time: exiting');
    process.exit(1);
  }, config.shutdownTimeoutMs + STOP_MARGIN_MS).unref();
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
