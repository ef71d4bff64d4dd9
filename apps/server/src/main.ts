// `pnpm start`: a Rhizome node configured from the environment (see docs/http-api.md), or from
// the same flags as `rhizome serve` (`pnpm start --port 9000 --plugin @rhizome/plugin-crdt`).
import { parseArgs } from 'node:util';
import { applyConfigFlags, CONFIG_FLAGS, ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startServer } from './server.ts';

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
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

const logger = createLogger(config);
let server;
try {
  server = await startServer(config, { logger });
} catch (error) {
  // Plugins are checked at start (they must be imported): their problems read like the others.
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  logger.fatal({ err: error }, 'could not start the node');
  process.exit(1);
}

let stopping = false;
const stop = (signal: string) => {
  if (stopping) {
    logger.warn({ signal }, 'second signal: exiting without waiting');
    process.exit(1);
  }
  stopping = true;
  logger.info({ signal }, 'signal received');
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
