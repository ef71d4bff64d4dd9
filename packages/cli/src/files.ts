import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliError, CliErrorCode, ExitCode } from './errors.ts';

export function resolvePath(cwd: string, path: string): string {
  return resolve(cwd, path);
}

/** Reads and parses a JSON file; a missing file or bad JSON is the caller's input problem. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw createFileUnreadableError(path, error);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(
      CliErrorCode.inputInvalid,
      `${path} is not JSON: ${(error as Error).message}`,
      ExitCode.usage,
      {
        details: { path },
      },
    );
  }
}

export function createFileUnreadableError(path: string, cause: unknown): CliError {
  const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
  return new CliError(
    CliErrorCode.fileUnreadable,
    `cannot read ${path} (${reason})`,
    ExitCode.usage,
    {
      details: { path },
      cause,
    },
  );
}
