import type { ParseArgsConfig } from 'node:util';
import type { CliIo } from './io.ts';
import type { Remote } from './remote.ts';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Options every command accepts. */
export const GLOBAL_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionsConfig;

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export interface CommandContext {
  readonly io: CliIo;
  /** Positionals after the command's own name(s). */
  readonly args: readonly string[];
  /** Option values as parseArgs gave them (strings, booleans, or undefined). */
  readonly options: Readonly<Record<string, string | boolean | readonly string[] | undefined>>;
  readonly json: boolean;
  /** The node at --url / RHIZOME_URL; created on first use (serve never needs one). */
  remote(): Remote;
}

export interface Command {
  /** e.g. `get` or `schema put`. */
  readonly name: string;
  readonly summary: string;
  /** Synopsis after `rhizome `, e.g. `get <entity> [--schema <name>] [--as-of <ms>]`. */
  readonly usage: string;
  /** Lines describing the command's own options (global ones are added by the help printer). */
  readonly optionHelp?: readonly string[];
  readonly options?: OptionsConfig;
  /** Resolves to the exit code (0 unless the command reports a partial failure). */
  run(context: CommandContext): Promise<number>;
}
