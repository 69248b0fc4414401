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
  private readonly cosignedDeliveries = new Set<Promise<void>>();

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

  /**
   * Publishes a checkpoint once witnesses cosigned it (the note with their signature lines): to
   * `checkpoint.cosigned` in the directory, and to the webhook marked `x-latch-checkpoint: cosigned`.
   * Cosignatures lag the log, so this never replaces the newest `checkpoint`.
   */
  publishCosigned(note: string): void {
    const { dir, webhookUrl } = this.options;
    if (dir) {
      try {
        writeAtomically(join(dir, 'checkpoint.cosigned'), note);
      } catch (error) {
        this.options.log('error', `log: could not publish the cosigned checkpoint to ${dir}: ${(error as Error).message}`);
      }
    }
    if (webhookUrl) {
      const delivery = fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8', 'x-latch-checkpoint': 'cosigned' },
        body: note,
        signal: AbortSignal.timeout(5000),
      })
        .then((response) => {
          if (!response.ok) this.options.log('warn', `log: cosigned checkpoint webhook answered ${response.status}`);
        })
        .catch((error: unknown) => this.options.log('warn', `log: cosigned checkpoint webhook failed: ${(error as Error).message}`));
      this.cosignedDeliveries.add(delivery);
      void delivery.finally(() => this.cosignedDeliveries.delete(delivery));
    }
  }

  /** Waits for the webhook delivery in flight (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    await Promise.all([...this.cosignedDeliveries]);
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
