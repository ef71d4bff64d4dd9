import type { Command } from './command.ts';
import { ExitCode } from './errors.ts';

const GLOBAL_HELP = [
  '--url <url>       the node (env RHIZOME_URL, default http://127.0.0.1:8080)',
  '--token <token>   bearer token (env RHIZOME_TOKEN)',
  '--json            machine-readable output on stdout; errors as JSON on stderr',
  '-h, --help        this help',
];

const EXIT_HELP = [
  `${ExitCode.ok}  ok`,
  `${ExitCode.serverError}  the node returned an error (its code is printed)`,
  `${ExitCode.usage}  usage error: bad arguments or input file, or a command not available yet`,
  `${ExitCode.notFound}  not found: entity, delta, schema or peer`,
  `${ExitCode.unreachable}  no Rhizome node answered at the URL`,
  `${ExitCode.unauthorized}  the node refused the token (unauthenticated or missing scope)`,
];

const indent = (lines: readonly string[]) => lines.map((line) => `  ${line}`).join('\n');

export function formatMainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return `rhizome: command line for a Rhizome node

Usage: rhizome <command> [options]

Commands:
${indent(commands.map((command) => `${command.name.padEnd(width)}  ${command.summary}`))}

Global options:
${indent(GLOBAL_HELP)}

Exit codes:
${indent(EXIT_HELP)}

Run \`rhizome <command> --help\` for a command's options.
`;
}

export function formatCommandHelp(command: Command): string {
  const own = command.optionHelp === undefined ? '' : `\nOptions:\n${indent(command.optionHelp)}\n`;
  return `rhizome ${command.name}: ${command.summary}

Usage: rhizome ${command.usage}
${own}
Global options:
${indent(GLOBAL_HELP)}

Exit codes:
${indent(EXIT_HELP)}
`;
}

/** Help for a group such as `schema`: its subcommands. */
export function formatGroupHelp(group: string, commands: readonly Command[]): string {
  return `rhizome ${group}: ${commands.map((c) => c.name.slice(group.length + 1)).join(', ')}

${commands.map((command) => `Usage: rhizome ${command.usage}\n  ${command.summary}`).join('\n')}

Run \`rhizome ${group} <subcommand> --help\` for details.
`;
}
