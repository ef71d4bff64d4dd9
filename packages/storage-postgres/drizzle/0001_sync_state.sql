CREATE TABLE "rhizome_meta" (
	"key" text COLLATE "C" PRIMARY KEY NOT NULL,
	"value" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rhizome_peer_cursors" (
	"peer" text COLLATE "C" PRIMARY KEY NOT NULL,
	"feed_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"filter" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
