import { createMemoryStore } from '@rhizome/storage';
import { describeDeltaStoreContract } from '../src/index.ts';

describeDeltaStoreContract('memory', async () => ({ store: createMemoryStore() }), {
  createRestartableStore: false,
});
