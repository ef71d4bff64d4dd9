import type { PluginModule } from '../types.ts';
import { average } from './average.ts';
import { concatenation } from './concatenation.ts';
import { BUILTIN_VERSION } from './define.ts';
import { max, min } from './extreme.ts';
import { firstWriteWins, lastWriteWins } from './last-write-wins.ts';
import { majority } from './majority.ts';
import { count } from './count.ts';

export {
  average,
  concatenation,
  count,
  firstWriteWins,
  lastWriteWins,
  majority,
  max,
  min,
  BUILTIN_VERSION,
};

/** The built-ins as a plugin module, so configuration can name them like any plugin package. */
export const builtinPlugins: PluginModule = {
  version: BUILTIN_VERSION,
  plugins: {
    'last-write-wins': lastWriteWins,
    'first-write-wins': firstWriteWins,
    concatenation,
    majority,
    min,
    max,
    average,
    count,
  } as PluginModule['plugins'],
};
