ALTER TABLE "rhizome_totals" ADD COLUMN "newest_time" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
-- A store written before this column existed: one scan, once, at the migration.
UPDATE "rhizome_totals" SET "newest_time" = coalesce((SELECT max(("body"->>'timeCreated')::bigint) FROM "rhizome_deltas"), 0);
