CREATE TABLE "rhizome_deltas" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "rhizome_deltas_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"body" json NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rhizome_pointers" (
	"target_id" text COLLATE "C" NOT NULL,
	"target_context" text COLLATE "C",
	"time_created" bigint NOT NULL,
	"delta_seq" bigint NOT NULL,
	"position" smallint NOT NULL,
	"local_context" text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "rhizome_deltas_seq_idx" ON "rhizome_deltas" USING btree ("seq");--> statement-breakpoint
CREATE INDEX "rhizome_pointers_target_idx" ON "rhizome_pointers" USING btree ("target_id","target_context","time_created","delta_seq");