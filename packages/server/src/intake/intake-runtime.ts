import type { ImapPoller } from './imap/imap-poller.js';
import type { IntakeConfig } from './intake-config.js';

/** Intake as the running deployment has it: its configuration, and what it listens on. */
export interface IntakeRuntime {
  readonly config: IntakeConfig;
  /** The SMTP receiver's port once listening (LATCH_SMTP_PORT=0 picks a free one), else undefined. */
  smtpPort: number | undefined;
  /** The IMAP poller when intake.yaml has `email.imap` (in `latch serve`). */
  imap?: ImapPoller | undefined;
}
