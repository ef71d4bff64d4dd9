export * from './fixtures.ts';
export * from './delta-store-contract.ts';
