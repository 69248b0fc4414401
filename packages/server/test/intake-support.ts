import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_CONFIG_DIR } from './harness.js';

export const INTAKE_YAML = `
addresses:
  refunds@latch.test: { type: refund, queue: refunds }
routes:
  - name: urgent
    when: { title: "urgent" }
    set: { priority: high }
  - name: vip-to-operator
    when: { requester: "@vip\\\\.example$" }
    set: { assignee: operator@test.example }
email:
  messageIdDomain: latch.test
  limits: { maxMessageBytes: 200000, maxAttachments: 3, maxAttachmentBytes: 2000, perSenderPerHour: 5 }
`;

/** The shipped case types and teams plus an intake.yaml of the test's own. */
export function intakeConfigDir(yaml = INTAKE_YAML): string {
  const dir = mkdtempSync(join(tmpdir(), 'latch-intake-'));
  cpSync(TEST_CONFIG_DIR, dir, { recursive: true });
  writeFileSync(join(dir, 'intake.yaml'), yaml);
  return dir;
}

