import {
  createClient,
  getRhizomeError,
  TRPCClientError,
  type RhizomeClient,
} from '@rhizome/client';
import {
  CliError,
  CliErrorCode,
  ExitCode,
  getExitCodeForServerCode,
  isCliError,
} from './errors.ts';

/** Turns whatever a client call threw into a CliError with a stable code and exit code. */
export function toCliError(error: unknown, url: string): CliError {
  if (isCliError(error)) return error;
  if (error instanceof TRPCClientError && readRemoteCode(error) === undefined) {
    // No Rhizome error body: nothing listened, or something other than a Rhizome node answered.
    const cause = error.cause instanceof Error ? (error.cause.cause ?? error.cause) : undefined;
    const reason = cause instanceof Error ? cause.message : error.message;
    return new CliError(
      CliErrorCode.serverUnreachable,
      `no Rhizome node answered at ${url} (${reason})`,
      ExitCode.unreachable,
      { details: { url }, cause: error },
    );
  }
  const remote = getRhizomeError(error);
  if (remote !== undefined) {
    return new CliError(remote.code, remote.message, getExitCodeForServerCode(remote.code), {
      details: remote.details,
      cause: error,
    });
  }
  throw error;
}

export interface Remote {
  readonly url: string;
  readonly client: RhizomeClient;
  /** Runs one client call, mapping its failure to a CliError. */
  call<T>(request: (client: RhizomeClient) => Promise<T>): Promise<T>;
}

export function createRemote(url: string, token: string | undefined): Remote {
  const client = createClient(token === undefined ? { url } : { url, token });
  return {
    url,
    client,
    async call(request) {
      try {
        return await request(client);
      } catch (error) {
        throw toCliError(error, url);
      }
    },
  };
}

function readRemoteCode(error: TRPCClientError<never>): string | undefined {
  const data = error.data as { rhizome?: { code?: unknown } } | undefined;
  return typeof data?.rhizome?.code === 'string' ? data.rhizome.code : undefined;
}
