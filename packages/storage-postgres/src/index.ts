export * from './schema.ts';
export * from './sql-client.ts';
export * from './migrations.ts';
export * from './database-error.ts';
export * from './sql-store.ts';
export * from './postgres-js-client.ts';
export * from './postgres-store.ts';
export * from './open-store.ts';
