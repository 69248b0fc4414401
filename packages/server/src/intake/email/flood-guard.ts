/**
 * Messages per sender in a sliding hour, in this process's memory: a flood from one sender is held
 * in quarantine past the limit. Each process counts its own (several servers each allow the limit),
 * and a restart forgets: it is a brake on floods, not an accounting.
 */
export class FloodGuard {
  private readonly seen = new Map<string, number[]>();

  constructor(private readonly perHour: number) {}

  /** Counts one message from `sender`; true when it is over the limit. */
  over(sender: string, now = Date.now()): boolean {
    const since = now - 3_600_000;
    const times = (this.seen.get(sender) ?? []).filter((t) => t > since);
    times.push(now);
    this.seen.set(sender, times);
    if (this.seen.size > 10_000) this.sweep(since);
    return times.length > this.perHour;
  }

  count(sender: string): number {
    return this.seen.get(sender)?.length ?? 0;
  }

  private sweep(since: number): void {
    for (const [sender, times] of this.seen) if (!times.some((t) => t > since)) this.seen.delete(sender);
  }
}
