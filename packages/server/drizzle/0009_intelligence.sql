CREATE TABLE "case_triage" (
	"case_id" uuid PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"suggestion" jsonb,
	"decision" jsonb,
	"decided_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "intelligence_models" (
	"version" integer PRIMARY KEY NOT NULL,
	"training_set_sha256" text NOT NULL,
	"examples" integer NOT NULL,
	"model" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "case_triage" ADD CONSTRAINT "case_triage_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "case_triage_state_idx" ON "case_triage" USING btree ("state","case_id");