export * from './create-client.ts';
export * from './error-code.ts';
export * from './signing-link.ts';
export type {
  AppRouter,
  EntityViewJson,
  HyperviewJson,
  WriteResult,
  DeltaPage,
  EntityPageJson,
  NodeStatus,
  TrustJson,
} from '@rhizome/api';
