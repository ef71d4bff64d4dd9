// `pnpm build`: writes the Explorer's bundled script next to the built server
// (dist/explorer/app.js), so the built server serves it without bundling anything at start.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleExplorer } from '../src/explorer-bundle.ts';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const started = performance.now();
const script = await bundleExplorer();
const file = `${DIST}explorer/app.js`;
await mkdir(dirname(file), { recursive: true });
await writeFile(file, script);
// `node dist/main.js` needs no mode, but the bin is run directly once installed.
await chmod(`${DIST}main.js`, 0o755);
console.log(
  `Explorer: ${Math.round(script.length / 1024)} KiB in ${Math.round(performance.now() - started)} ms`,
);
