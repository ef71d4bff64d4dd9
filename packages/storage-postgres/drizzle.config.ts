import { defineConfig } from 'drizzle-kit';

// `pnpm db:generate` after a schema change; commit what it writes. Migrations are applied by
// `migrate()` when a store opens, never by `drizzle-kit push`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema.ts',
  out: './drizzle',
});
