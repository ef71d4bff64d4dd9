import type { Random } from './random.ts';

export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 250, maxMs: 30_000 };

/**
 * Delay before reconnect attempt `attempt` (0-based): exponential with "full jitter", so nodes
 * cut off together do not all reconnect in the same instant.
 */
export function computeBackoff(attempt: number, random: Random, options: BackoffOptions = defaultBackoff): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(ceiling / 2 + (random() * ceiling) / 2);
}
