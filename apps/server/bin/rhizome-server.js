#!/usr/bin/env node
// `rhizome-server` inside the repository: the built server (`pnpm build` first). The published
// package points its bin at dist/main.js itself.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('rhizome-server: the server is not built yet: run `pnpm build` first\n');
  process.exit(1);
}
await import(main.href);
