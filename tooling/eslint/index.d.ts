import type { Linter } from 'eslint';

export declare const IMPURE_PACKAGES: string[];
export declare function createConfig(options?: { layer?: 'pure' | 'app' }): Linter.Config[];
