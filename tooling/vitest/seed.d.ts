import type fc from 'fast-check';

/** The run's seed: RHIZOME_SEED when set (to replay a failure), else a fresh one. */
export declare const seed: number;

/** fc.assert with the run's seed; on failure the error names the seed to replay with. */
export declare function assertProperty<Ts>(
  property: fc.IProperty<Ts>,
  parameters?: fc.Parameters<Ts> | number,
): void;
/** The same for an async property: await the promise it returns. */
export declare function assertProperty<Ts>(
  property: fc.IAsyncProperty<Ts>,
  parameters?: fc.Parameters<Ts> | number,
): Promise<void>;
