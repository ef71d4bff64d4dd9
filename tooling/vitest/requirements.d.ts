import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test PostgreSQL's URL when it answers, else null (its tests are skipped). */
    postgres: string | null;
    /** A Chromium binary when one is installed, else null (the browser test is skipped). */
    chromium: string | null;
    /** Whether the output of `pnpm build` the project's tests run is there (else they skip). */
    built: boolean;
  }
}

export declare const DEFAULT_TEST_DATABASE_URL: string;
export declare function testDatabaseUrl(): string;
export declare function findChromium(): string | undefined;
export declare function probeRequirements(
  project: TestProject,
  needs: readonly ('postgres' | 'chromium')[],
): Promise<void>;
export declare function probeBuild(
  project: TestProject,
  file: string,
  sourceDirs?: readonly string[],
): void;
