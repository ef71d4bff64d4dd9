import { parseArgs } from 'node:util';
import { DEFAULT_URL, GLOBAL_OPTIONS, type Command } from './command.ts';
import { COMMANDS } from './commands/index.ts';
import { CliError, CliErrorCode, createUsageError, ExitCode, isCliError } from './errors.ts';
import { formatCommandHelp, formatGroupHelp, formatMainHelp } from './help.ts';
import { parseInput, urlInput } from './inputs.ts';
import type { CliIo } from './io.ts';
import { createRemote, type Remote } from './remote.ts';

/** Finds the command named by the leading positionals (`get`, or `schema put`). */
function findCommand(positionals: readonly string[]): {
  command?: Command;
  group?: string;
  words: number;
} {
  const [first, second] = positionals;
  if (first === undefined) return { words: 0 };
  const two = COMMANDS.find((command) => command.name === `${first} ${second ?? ''}`);
  if (two !== undefined) return { command: two, words: 2 };
  const one = COMMANDS.find((command) => command.name === first);
  if (one !== undefined) return { command: one, words: 1 };
  const grouped = COMMANDS.some((command) => command.name.startsWith(`${first} `));
  return grouped ? { group: first, words: 1 } : { words: 0 };
}

function reportError(io: CliIo, json: boolean, error: CliError): void {
  io.stderr.write(
    json
      ? `${JSON.stringify({ error: { code: error.code, message: error.message, details: error.details } })}\n`
      : `rhizome: error [${error.code}] ${error.message}\n`,
  );
  if (!json && error.code === CliErrorCode.usageInvalid) {
    io.stderr.write('Run `rhizome --help` (or `rhizome <command> --help`) for usage.\n');
  }
}

/** Runs one command line (without `node` and the script) and resolves to the process exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  // A lenient first pass only to find the command; the command's own options are unknown yet.
  const first = parseArgs({
    args: [...argv],
    options: GLOBAL_OPTIONS,
    strict: false,
    allowPositionals: true,
  });
  const json = first.values.json === true;
  try {
    const found = findCommand(first.positionals);
    if (found.command === undefined) {
      if (found.group !== undefined) {
        const members = COMMANDS.filter((command) => command.name.startsWith(`${found.group} `));
        if (first.values.help === true) {
          io.stdout.write(formatGroupHelp(found.group, members));
          return ExitCode.ok;
        }
        throw createUsageError(
          `${found.group} needs a subcommand: ${members.map((c) => c.name).join(', ')}`,
        );
      }
      if (first.positionals.length === 0) {
        if (first.values.help === true) {
          io.stdout.write(formatMainHelp(COMMANDS));
          return ExitCode.ok;
        }
        io.stderr.write(formatMainHelp(COMMANDS));
        return ExitCode.usage;
      }
      if (first.positionals[0] === 'help') {
        const target = findCommand(first.positionals.slice(1)).command;
        io.stdout.write(
          target === undefined ? formatMainHelp(COMMANDS) : formatCommandHelp(target),
        );
        return ExitCode.ok;
      }
      throw createUsageError(`unknown command ${JSON.stringify(first.positionals[0])}`);
    }
    const command = found.command;
    if (first.values.help === true) {
      io.stdout.write(formatCommandHelp(command));
      return ExitCode.ok;
    }
    let parsed;
    try {
      parsed = parseArgs({
        args: [...argv],
        options: { ...GLOBAL_OPTIONS, ...command.options },
        strict: true,
        allowPositionals: true,
      });
    } catch (error) {
      throw createUsageError(`${command.name}: ${(error as Error).message}`);
    }
    const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
    const url = parseInput(
      urlInput,
      (values.url as string | undefined) ?? io.env.RHIZOME_URL ?? DEFAULT_URL,
      '--url',
    );
    const tokenValue = (values.token as string | undefined) ?? io.env.RHIZOME_TOKEN;
    const token = tokenValue === undefined || tokenValue === '' ? undefined : tokenValue;
    let remote: Remote | undefined;
    return await command.run({
      io,
      args: parsed.positionals.slice(found.words),
      options: values,
      json,
      remote: () => (remote ??= createRemote(url, token)),
    });
  } catch (error) {
    const cliError = isCliError(error)
      ? error
      : new CliError('INTERNAL', (error as Error)?.message ?? String(error), ExitCode.serverError, {
          cause: error,
        });
    reportError(io, json, cliError);
    if (!isCliError(error) && io.env.RHIZOME_DEBUG) io.stderr.write(`${(error as Error).stack}\n`);
    return cliError.exitCode;
  }
}
