export * from './errors.ts';
export * from './io.ts';
export * from './run.ts';
export * from './generate-types.ts';
export type { Command, CommandContext } from './command.ts';
