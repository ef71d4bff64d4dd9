CREATE TABLE "rhizome_entities" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rhizome_totals" (
	"id" smallint PRIMARY KEY NOT NULL,
	"deltas" bigint NOT NULL,
	"entities" bigint NOT NULL
);
--> statement-breakpoint
DROP INDEX "rhizome_pointers_target_idx";--> statement-breakpoint
CREATE INDEX "rhizome_pointers_target_idx" ON "rhizome_pointers" USING btree ("target_id","target_context");--> statement-breakpoint
-- Backfill (added by hand after drizzle-kit generate): the entities and totals of a store written
-- before this migration. 'negates' is Vocabulary.negates, the one pointer kind that is not an entity.
INSERT INTO "rhizome_entities" ("id") SELECT DISTINCT "target_id" FROM "rhizome_pointers" WHERE "local_context" <> 'negates';--> statement-breakpoint
INSERT INTO "rhizome_totals" ("id", "deltas", "entities") SELECT 1, (SELECT count(*) FROM "rhizome_deltas"), (SELECT count(*) FROM "rhizome_entities");
