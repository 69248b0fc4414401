CREATE TABLE "intake_messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"case_id" uuid NOT NULL,
	"direction" text NOT NULL,
	"channel" text NOT NULL,
	"message_key" text,
	"raw_sha256" text,
	"event_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "intake_quarantine" (
	"id" uuid PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"source" text NOT NULL,
	"reason" text NOT NULL,
	"detail" text NOT NULL,
	"raw_sha256" text NOT NULL,
	"raw_type" text NOT NULL,
	"subject" text,
	"status" text NOT NULL,
	"case_id" uuid,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "intake_messages" ADD CONSTRAINT "intake_messages_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "intake_messages" ADD CONSTRAINT "intake_messages_raw_sha256_blobs_sha256_fk" FOREIGN KEY ("raw_sha256") REFERENCES "public"."blobs"("sha256") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "intake_quarantine" ADD CONSTRAINT "intake_quarantine_raw_sha256_blobs_sha256_fk" FOREIGN KEY ("raw_sha256") REFERENCES "public"."blobs"("sha256") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "intake_quarantine" ADD CONSTRAINT "intake_quarantine_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "intake_messages_key_idx" ON "intake_messages" USING btree ("message_key");--> statement-breakpoint
CREATE INDEX "intake_messages_case_idx" ON "intake_messages" USING btree ("case_id","id");--> statement-breakpoint
CREATE INDEX "intake_quarantine_status_idx" ON "intake_quarantine" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "intake_quarantine_subject_idx" ON "intake_quarantine" USING btree ("subject");