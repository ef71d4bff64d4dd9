import type { Command } from '../command.ts';
import { CliError, CliErrorCode, ExitCode } from '../errors.ts';

// Listed in help so the name is reserved and the answer is explicit rather than "unknown command".
export const peersCommand: Command = {
  name: 'peers',
  summary: 'peer links (not available yet: the node does not serve sync)',
  usage: 'peers',
  async run() {
    throw new CliError(
      CliErrorCode.notAvailable,
      'peers is not available yet: the node does not serve the sync endpoint (see issue 7)',
      ExitCode.usage,
    );
  },
};
