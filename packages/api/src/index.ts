// The engine (node, errors, principals) is @rhizome/node; the contract re-exports it so that a
// transport or a client needs one import.
export * from '@rhizome/node';
export * from './error-mapping.ts';
export * from './inputs.ts';
export * from './query-params.ts';
export * from './peers.ts';
export { createContext, toTRPCError, type ApiContext, type CreateContextOptions } from './trpc.ts';
export * from './root.ts';
