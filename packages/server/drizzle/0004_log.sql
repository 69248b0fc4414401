CREATE TABLE "log_checkpoints" (
	"size" bigint PRIMARY KEY NOT NULL,
	"root" "bytea" NOT NULL,
	"note" text NOT NULL,
	"signers" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "log_leaves" (
	"position" bigint PRIMARY KEY NOT NULL,
	"event_id" uuid NOT NULL,
	"hash" "bytea" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "log_nodes" (
	"level" smallint NOT NULL,
	"index" bigint NOT NULL,
	"hash" "bytea" NOT NULL,
	CONSTRAINT "log_nodes_level_index_pk" PRIMARY KEY("level","index")
);
--> statement-breakpoint
CREATE TABLE "log_pending" (
	"event_id" uuid PRIMARY KEY NOT NULL,
	"leaf" "bytea" NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "log_leaves_event_idx" ON "log_leaves" USING btree ("event_id");--> statement-breakpoint
-- Leaves, nodes and checkpoints are append-only, like events (defence in depth; the proof is the
-- signed checkpoints held outside Latch).
CREATE TRIGGER log_leaves_no_update_delete BEFORE UPDATE OR DELETE ON "log_leaves"
  FOR EACH ROW EXECUTE FUNCTION latch_refuse_audit_change();
--> statement-breakpoint
CREATE TRIGGER log_leaves_no_truncate BEFORE TRUNCATE ON "log_leaves"
  FOR EACH STATEMENT EXECUTE FUNCTION latch_refuse_audit_change();
--> statement-breakpoint
CREATE TRIGGER log_nodes_no_update_delete BEFORE UPDATE OR DELETE ON "log_nodes"
  FOR EACH ROW EXECUTE FUNCTION latch_refuse_audit_change();
--> statement-breakpoint
CREATE TRIGGER log_nodes_no_truncate BEFORE TRUNCATE ON "log_nodes"
  FOR EACH STATEMENT EXECUTE FUNCTION latch_refuse_audit_change();
--> statement-breakpoint
CREATE TRIGGER log_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON "log_checkpoints"
  FOR EACH ROW EXECUTE FUNCTION latch_refuse_audit_change();
--> statement-breakpoint
CREATE TRIGGER log_checkpoints_no_truncate BEFORE TRUNCATE ON "log_checkpoints"
  FOR EACH STATEMENT EXECUTE FUNCTION latch_refuse_audit_change();
--> statement-breakpoint
-- Events written before the log existed are queued for the sequencer, oldest first (UUIDv7 order).
INSERT INTO "log_pending" ("event_id", "leaf")
  SELECT "id", sha256('\x00'::bytea || convert_to("bytes", 'UTF8')) FROM "events" ORDER BY "id";
