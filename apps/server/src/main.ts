#!/usr/bin/env node
// The `rhizome-server` command and `pnpm start`: a Rhizome node configured from the environment
// (see docs/http-api.md) or from the same flags as `rhizome serve`. Built, it runs on plain Node
// (`node dist/main.js`); `pnpm start` runs this file from source with tsx.
import { register } from 'node:module';

// Inside the repository the workspace packages export their TypeScript sources (so tests and
// typecheck need no build); the built server loads their built `dist/` instead. Installed from
// the registry they resolve to `dist/` already and no hook is registered.
if (import.meta.url.endsWith('.js') && import.meta.resolve('@rhizome/core').endsWith('.ts')) {
  register('./workspace-dist-hooks.js', import.meta.url);
}

await import('./run-server.ts');
