// `pnpm build`: writes dist/pglite-snapshot.tar.gz, a migrated empty PGlite data directory that
// a new embedded database is unpacked from (see src/pglite-snapshot.ts), and what it was made from.
import { dumpMigratedPglite } from '../src/pglite.ts';
import { writePgliteSnapshot } from '../src/pglite-snapshot.ts';

const started = performance.now();
const meta = await writePgliteSnapshot(await dumpMigratedPglite());
console.log(
  `PGlite snapshot: ${meta.migrations.length} migrations, PGlite ${meta.pglite}, ` +
    `${Math.round(performance.now() - started)} ms`,
);
