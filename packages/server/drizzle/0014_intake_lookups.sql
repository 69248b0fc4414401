-- Intake's look-ups by index only (src/intake/): the latest message of a thread key (an alert's
-- fingerprint gets a message per delivery) is the last entry of (message_key, id), where the index
-- on message_key alone read and sorted every message of the key; and an earlier delivery of the same
-- bytes under the same key is one probe of (raw_sha256, message_key), not a filter over the key's
-- messages. Indexes only: safe on a database already holding data.
DROP INDEX IF EXISTS "intake_messages_key_idx";
--> statement-breakpoint
CREATE INDEX "intake_messages_key_id_idx" ON "intake_messages" USING btree ("message_key","id");
--> statement-breakpoint
CREATE INDEX "intake_messages_raw_key_idx" ON "intake_messages" USING btree ("raw_sha256","message_key");
