import type { TraceEvent, TraceSink } from './types.ts';

/** `true` to trace to stderr, a sink to collect events, `false` to force off. */
export type TraceOption = boolean | TraceSink | undefined;

function readDebugVariable(): string | undefined {
  // Pure package: read the environment only when a Node-like `process` exists.
  const host = globalThis as { process?: { env?: Record<string, string | undefined> } };
  return host.process?.env?.DEBUG;
}

/** True when a `DEBUG` pattern list (comma or space separated, `*` wildcards) enables `namespace`. */
export function isDebugEnabled(
  namespace: string,
  debug: string | undefined = readDebugVariable(),
): boolean {
  if (debug === undefined || debug === '') return false;
  let enabled = false;
  for (const raw of debug.split(/[\s,]+/)) {
    if (raw === '') continue;
    const negated = raw.startsWith('-');
    const pattern = negated ? raw.slice(1) : raw;
    const source = `^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`;
    if (new RegExp(source).test(namespace)) enabled = !negated;
  }
  return enabled;
}

export const TRACE_NAMESPACE = 'rhizome:plugins';

function formatEvent(event: TraceEvent): string {
  const { kind, ...rest } = event;
  return `${TRACE_NAMESPACE} ${kind} ${JSON.stringify(rest, (_key, value: unknown) =>
    value instanceof Map ? Object.fromEntries(value) : value instanceof Set ? [...value] : value,
  )}`;
}

/**
 * Decides once, at construction, whether to trace. When off the runtime holds `undefined` and
 * every trace site is a single untaken branch: no event objects are built.
 */
export function createTracer(option: TraceOption): TraceSink | undefined {
  if (option === false) return undefined;
  if (typeof option === 'function') return option;
  if (option === true || isDebugEnabled(TRACE_NAMESPACE)) {
    return (event) => console.error(formatEvent(event));
  }
  return undefined;
}
