import type { Command } from '../command.ts';
import { exportCommand } from './export.ts';
import { getCommand } from './get.ts';
import { hyperviewCommand } from './hyperview.ts';
import { importCommand } from './import.ts';
import { negateCommand } from './negate.ts';
import { peersAddCommand, peersCommand, peersRemoveCommand } from './peers.ts';
import { putCommand } from './put.ts';
import { queryCommand } from './query.ts';
import { schemaGetCommand, schemaListCommand, schemaPutCommand } from './schema.ts';
import { serveCommand } from './serve.ts';
import { statusCommand } from './status.ts';
import { typesCommand } from './types.ts';
import { validateCommand } from './validate.ts';

/** In the order `rhizome --help` lists them. */
export const COMMANDS: readonly Command[] = [
  serveCommand,
  statusCommand,
  putCommand,
  getCommand,
  hyperviewCommand,
  queryCommand,
  negateCommand,
  schemaPutCommand,
  schemaGetCommand,
  schemaListCommand,
  validateCommand,
  exportCommand,
  importCommand,
  typesCommand,
  peersCommand,
  peersAddCommand,
  peersRemoveCommand,
];
