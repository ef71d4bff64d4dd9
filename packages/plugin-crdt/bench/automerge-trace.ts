// Reading the automerge-paper editing trace and turning it into Rhizome deltas. Shared by the
// benchmark and the trace-prefix test.
import { createClock, createDelta, createDeltaBuilder, type Delta } from '@rhizome/core';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { sequenceInsertPointers } from '../src/index.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The shared copy, resolved from the repository root as `../shared/datasets/...`. */
export const DEFAULT_TRACE_PATH = resolve(
  REPO_ROOT,
  '../shared/datasets/automerge-perf/paper.json.gz',
);
/** The same trace in positional form (josephg/editing-traces), which carries `endContent`. */
export const DEFAULT_POSITIONAL_PATH = resolve(
  REPO_ROOT,
  '../shared/datasets/editing-traces/sequential_traces/automerge-paper.json.gz',
);

export const DOWNLOAD_HINT = `Download the trace:
  automerge changes:  https://github.com/automerge/automerge-perf  (edit-history/paper.json.gz)
  positional form:    https://github.com/josephg/editing-traces  (sequential_traces/automerge-paper.json.gz)
and pass their paths: pnpm bench -- <paper.json.gz> <automerge-paper.json.gz>
(or set RHIZOME_TRACE and RHIZOME_TRACE_POSITIONAL).`;

export interface AutomergeOp {
  readonly action: 'makeText' | 'set' | 'del';
  readonly elemId?: string;
  readonly insert?: boolean;
  readonly value?: string;
}

export interface AutomergeChange {
  readonly actor: string;
  readonly seq: number;
  readonly startOp: number;
  readonly time: number;
  readonly ops: readonly AutomergeOp[];
}

export interface PositionalTrace {
  readonly endContent: string;
  readonly txns: readonly { readonly patches: readonly (readonly [number, number, string])[] }[];
}

export const hasTrace = (path: string): boolean => existsSync(path);

/** One JSON change per line; `limit` keeps the first changes only. */
export function readAutomergeTrace(
  path: string,
  limit = Number.POSITIVE_INFINITY,
): AutomergeChange[] {
  const lines = gunzipSync(readFileSync(path)).toString('utf8').split('\n');
  const changes: AutomergeChange[] = [];
  for (const line of lines) {
    if (changes.length >= limit) break;
    if (line.trim() !== '') changes.push(JSON.parse(line) as AutomergeChange);
  }
  return changes;
}

export function readPositionalTrace(path: string): PositionalTrace {
  return JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as PositionalTrace;
}

/** A replay step: show an insert, or hide (negate) an earlier one. */
export type ReplayStep =
  | { readonly kind: 'insert'; readonly delta: Delta }
  | { readonly kind: 'delete'; readonly negation: Delta; readonly target: Delta };

/**
 * Each insert becomes a delta built and content-addressed by core, its `after` pointer naming
 * the delta of the element it follows; each delete becomes a negation of that element's delta.
 * `timeCreated` comes from a hybrid logical clock driven by the trace's wall time (seconds), so
 * an edit always carries a later timestamp than everything before it in the trace — the causal
 * order RGA needs for one editor's inserts at one place.
 */
export function traceToDeltas(
  changes: readonly AutomergeChange[],
  entity = 'paper',
  property = 'text',
): ReplayStep[] {
  let wall = 0;
  const clock = createClock({ wallClock: () => wall, maxDriftMs: Number.POSITIVE_INFINITY });
  const byElement = new Map<string, Delta>();
  const steps: ReplayStep[] = [];
  for (const change of changes) {
    wall = change.time * 1000;
    change.ops.forEach((op, index) => {
      const opId = `${change.startOp + index}@${change.actor}`;
      const creator = change.actor.slice(0, 16);
      if (op.action === 'set' && op.insert === true) {
        const after =
          op.elemId === '_head' || op.elemId === undefined
            ? undefined
            : byElement.get(op.elemId)?.id;
        const delta = createDelta({
          timeCreated: clock.now(),
          host: creator,
          creator,
          pointers: sequenceInsertPointers({ entity, property, after, value: op.value ?? '' }),
        });
        byElement.set(opId, delta);
        steps.push({ kind: 'insert', delta });
      } else if (op.action === 'del') {
        const target = byElement.get(op.elemId!)!;
        const negation = createDeltaBuilder({ creator, host: creator, timeCreated: clock.now() })
          .negate(target.id)
          .build();
        steps.push({ kind: 'delete', negation, target });
      }
    });
  }
  return steps;
}

/** Applies the first `count` transactions of the positional trace to a plain string. */
export function replayPositional(trace: PositionalTrace, count = trace.txns.length): string {
  let text = '';
  for (let index = 0; index < count; index += 1) {
    for (const [position, deleted, inserted] of trace.txns[index]!.patches) {
      text = text.slice(0, position) + inserted + text.slice(position + deleted);
    }
  }
  return text;
}
