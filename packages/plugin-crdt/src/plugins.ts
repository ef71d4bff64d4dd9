import type { PluginFactory, PluginModule } from '@rhizome/plugins';
import { orSet } from './or-set.ts';
import { pnCounter } from './pn-counter.ts';
import { sequence } from './sequence.ts';
import { VERSION } from './version.ts';

/** What the plugin registry loads: `{ package: '@rhizome/plugin-crdt', plugin: 'sequence' }`. */
export const plugins: PluginModule['plugins'] = {
  'pn-counter': pnCounter as PluginFactory,
  'or-set': orSet as PluginFactory,
  sequence: sequence as PluginFactory,
};

export const version: PluginModule['version'] = VERSION;
