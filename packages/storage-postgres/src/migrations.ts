import { fileURLToPath } from 'node:url';

/** The committed drizzle-kit migrations; next to src/ in the repo and next to dist/ when published. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

/** drizzle's bookkeeping table, kept apart from the application tables. */
export const MIGRATIONS_TABLE = '__rhizome_migrations';
