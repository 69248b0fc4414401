import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PublishOptions {
  readonly dir?: string | undefined;
  readonly webhookUrl?: string | undefined;
  readonly log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/**
 * Sends each new signed checkpoint outside Latch: to a directory (`checkpoint`, replaced
 * atomically, and `trust.txt` when the keys change) and to a webhook (POST, text/plain). A
 * webhook that is down is retried with the newest checkpoint at the next one: a checkpoint
 * supersedes the ones before it.
 */
export class CheckpointPublisher {
  private inFlight: Promise<void> | undefined;
  private queued: string | undefined;

  constructor(private readonly options: PublishOptions) {
    if (options.dir) mkdirSync(options.dir, { recursive: true });
  }

  publish(note: string, trustFile?: string): void {
    const { dir } = this.options;
    if (dir) {
      try {
        writeAtomically(join(dir, 'checkpoint'), note);
        if (trustFile !== undefined) writeAtomically(join(dir, 'trust.txt'), trustFile);
      } catch (error) {
        this.options.log('error', `log: could not publish the checkpoint to ${dir}: ${(error as Error).message}`);
      }
    }
    if (this.options.webhookUrl) this.post(note);
  }

  /** Waits for the webhook delivery in flight (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private post(note: string): void {
    if (this.inFlight) {
      this.queued = note;
      return;
    }
    this.inFlight = this.deliver(note).finally(() => {
      this.inFlight = undefined;
      const next = this.queued;
      this.queued = undefined;
      if (next !== undefined) this.post(next);
    });
  }

  private async deliver(note: string): Promise<void> {
    const url = this.options.webhookUrl!;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: note,
        signal: AbortSignal.timeout(5000),
      });
      if (!response.ok) this.options.log('warn', `log: checkpoint webhook answered ${response.status}`);
    } catch (error) {
      this.options.log('warn', `log: checkpoint webhook failed: ${(error as Error).message}`);
    }
  }
}

function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}
