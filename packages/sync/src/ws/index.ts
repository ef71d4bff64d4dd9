export * from './channel.ts';
export * from './server.ts';
export * from './dial.ts';
