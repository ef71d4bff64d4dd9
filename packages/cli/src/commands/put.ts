import type { Command } from '../command.ts';
import { createUsageError } from '../errors.ts';
import { formatJson } from '../format.ts';
import { entityIdInput, parseInput, propertiesInput } from '../inputs.ts';

/**
 * `key=value`: the value is read as JSON when it is a JSON literal (31, true, null, "31",
 * {"id":"bob"}) and as a plain string otherwise, so `name=Alice` needs no quoting.
 */
export function parseAssignments(assignments: readonly string[]): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const assignment of assignments) {
    const equals = assignment.indexOf('=');
    if (equals <= 0) {
      throw createUsageError(`expected key=value, got ${JSON.stringify(assignment)}`);
    }
    const raw = assignment.slice(equals + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // not JSON: keep the text
    }
    properties[assignment.slice(0, equals)] = value;
  }
  return properties;
}

export const putCommand: Command = {
  name: 'put',
  summary: 'write one delta setting properties of an entity',
  usage: 'put <entity> key=value... | put <entity> --data \'{"key": value}\'',
  optionHelp: [
    '--data <json>     the properties as one JSON object (instead of key=value)',
    'values: strings, numbers, booleans, null, or a reference {"id":"<entity>"};',
    'key=value reads the value as JSON when it parses (age=31 is a number, name=\'"31"\' a string)',
  ],
  options: { data: { type: 'string' } },
  async run({ args, options, json, io, remote }) {
    const [entity, ...assignments] = args;
    const id = parseInput(entityIdInput, entity ?? '', 'entity');
    const data = options.data;
    if (typeof data === 'string' && assignments.length > 0) {
      throw createUsageError('give properties either as key=value or with --data, not both');
    }
    let raw: unknown;
    if (typeof data === 'string') {
      try {
        raw = JSON.parse(data);
      } catch (error) {
        throw createUsageError(`--data is not JSON: ${(error as Error).message}`);
      }
    } else {
      raw = parseAssignments(assignments);
    }
    const properties = parseInput(propertiesInput, raw, 'properties');
    const result = await remote().call((client) => client.entities.put.mutate({ id, properties }));
    io.stdout.write(json ? formatJson(result) : `${result.status} ${result.id}\n`);
    return 0;
  },
};
