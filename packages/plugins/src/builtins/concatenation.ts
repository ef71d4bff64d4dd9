import { compareDeltas, type Delta } from '@rhizome/core';
import type { PluginOptions, ResolverPlugin } from '../types.ts';
import { pluginIdentity } from './define.ts';

export interface ConcatenationOptions extends PluginOptions {
  /** Put between parts; default `' '`. */
  readonly separator?: string;
}

interface Part {
  readonly delta: Delta;
  readonly text: string;
}

/** Parts sorted by (timeCreated, id). */
export type ConcatenationState = Part[];

function toText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function findIndex(parts: ConcatenationState, delta: Delta): number {
  let low = 0;
  let high = parts.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareDeltas(parts[middle]!.delta, delta) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Concatenation: the string values (numbers and booleans as text) of the visible deltas in
 * (timeCreated, id) order, joined by `separator`. References, composites and null are skipped.
 * `undefined` when nothing is left — never `''` for "unset".
 */
export function concatenation(
  options: ConcatenationOptions,
): ResolverPlugin<ConcatenationState, string | undefined> {
  const separator = options.separator ?? ' ';
  return {
    ...pluginIdentity('concatenation', options),
    initialize: () => [],
    update(parts, value, delta) {
      const text = toText(value);
      if (text === undefined) return parts;
      const index = findIndex(parts, delta);
      if (parts[index]?.delta.id !== delta.id) parts.splice(index, 0, { delta, text });
      return parts;
    },
    remove(parts, _value, delta) {
      const index = findIndex(parts, delta);
      if (parts[index]?.delta.id === delta.id) parts.splice(index, 1);
      return parts;
    },
    resolve: (parts) =>
      parts.length === 0 ? undefined : parts.map((part) => part.text).join(separator),
  };
}
