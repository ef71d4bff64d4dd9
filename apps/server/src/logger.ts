import pino, { type Logger } from 'pino';
import type { ServerConfig } from './config.ts';

/** Structured JSON logs on stdout, one line per event. */
export function createLogger(config: Pick<ServerConfig, 'logLevel' | 'nodeId'>): Logger {
  return pino({ level: config.logLevel, base: { nodeId: config.nodeId } });
}
