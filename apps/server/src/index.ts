export * from './config.ts';
export * from './tokens.ts';
export * from './metrics.ts';
export * from './logger.ts';
export * from './app.ts';
export * from './server.ts';
export * from './plugins.ts';
export * from './signing-keys.ts';
