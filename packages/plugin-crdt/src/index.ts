export * from './version.ts';
export * from './pointers.ts';
export * from './pn-counter.ts';
export * from './or-set.ts';
export * from './sequence.ts';
export * from './plugins.ts';
