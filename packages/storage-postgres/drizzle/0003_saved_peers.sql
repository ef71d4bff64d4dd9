CREATE TABLE "rhizome_saved_peers" (
	"address" text COLLATE "C" PRIMARY KEY NOT NULL,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL
);
