import { createMemoryStore, type DeltaStore } from '@rhizome/storage';
import type { DeltaStoreLike } from '../src/delta-store-adapter.ts';
import { describeDeltaStoreAdapter } from './support/delta-store-adapter-suite.ts';
import { createFakeDeltaStore } from './support/fake-delta-store.ts';

// The real contract must fit the adapter's structural view of it; this fails to compile if not.
const fits = (store: DeltaStore): DeltaStoreLike => store;

describeDeltaStoreAdapter('a DeltaStore stand-in with gapped sequence numbers', createFakeDeltaStore);
describeDeltaStoreAdapter('@rhizome/storage createMemoryStore', () => fits(createMemoryStore()));
