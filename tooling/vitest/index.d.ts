import type { UserWorkspaceConfig } from 'vitest/config';

export declare function createProject(
  name: string,
  overrides?: NonNullable<UserWorkspaceConfig['test']>,
): UserWorkspaceConfig;
