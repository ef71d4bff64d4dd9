export * from './create-client.ts';
export * from './error-code.ts';
export type {
  AppRouter,
  EntityViewJson,
  HyperviewJson,
  WriteResult,
  DeltaPage,
  EntityPageJson,
  NodeStatus,
} from '@rhizome/api';
