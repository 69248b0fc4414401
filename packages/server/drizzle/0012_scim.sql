-- SCIM 2.0 provisioning (src/scim/): what an identity provider's view of an account adds to the
-- users table (its externalId; a DELETE, which only deactivates), the groups it pushes, and who is in
-- them. New tables only: safe on a database already holding data.
CREATE TABLE "scim_users" (
	"user_id" uuid PRIMARY KEY NOT NULL REFERENCES "users"("id"),
	"external_id" text,
	"deleted_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "scim_users_external_id_idx" ON "scim_users" ("external_id");
--> statement-breakpoint
CREATE TABLE "scim_groups" (
	"id" uuid PRIMARY KEY NOT NULL,
	"display_name" text NOT NULL,
	"external_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "scim_groups_display_name_unique" ON "scim_groups" (lower("display_name"));
--> statement-breakpoint
CREATE TABLE "scim_group_members" (
	"group_id" uuid NOT NULL REFERENCES "scim_groups"("id") ON DELETE CASCADE,
	"user_id" uuid NOT NULL REFERENCES "users"("id"),
	CONSTRAINT "scim_group_members_pk" PRIMARY KEY ("group_id", "user_id")
);
--> statement-breakpoint
CREATE INDEX "scim_group_members_user_idx" ON "scim_group_members" ("user_id");
