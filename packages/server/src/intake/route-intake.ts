import type { Priority } from '@latch/core';
import type { IntakeTarget, RoutingRule } from './intake-config.js';

/** What routing looks at: the channel, its source (for email, the address), and the parsed content. */
export interface RoutingInput {
  readonly channel: string;
  readonly source: string;
  readonly title: string;
  readonly body: string;
  readonly requesterEmail: string | undefined;
}

/** Where a new case goes, and the rules that put it there, in the order they fired. */
export interface Routing {
  readonly type: string;
  readonly queue: string | undefined;
  readonly priority: Priority | undefined;
  /** The assignee's email, as the rule names them. */
  readonly assignee: string | undefined;
  readonly fired: readonly string[];
}

// A rule reads at most this much of a body, so a huge message costs no more to route than a long one.
const BODY_READ = 64 * 1024;

/** Applies every rule whose conditions all match, in file order, on top of the channel's target. Pure. */
export function routeIntake(target: IntakeTarget, rules: readonly RoutingRule[], input: RoutingInput): Routing {
  let routing: Routing = { type: target.type, queue: target.queue, priority: target.priority, assignee: undefined, fired: [] };
  const body = input.body.slice(0, BODY_READ);
  for (const rule of rules) {
    const w = rule.when;
    const matches =
      (w.channel === undefined || w.channel === input.channel) &&
      (w.source === undefined || w.source === input.source.toLowerCase()) &&
      (w.title === undefined || w.title.test(input.title)) &&
      (w.body === undefined || w.body.test(body)) &&
      (w.requester === undefined || (input.requesterEmail !== undefined && w.requester.test(input.requesterEmail)));
    if (!matches) continue;
    routing = {
      type: rule.set.type ?? routing.type,
      // A new type brings its own default queue unless the rule names one.
      queue: rule.set.queue ?? (rule.set.type !== undefined && rule.set.type !== routing.type ? undefined : routing.queue),
      priority: rule.set.priority ?? routing.priority,
      assignee: rule.set.assignee ?? routing.assignee,
      fired: [...routing.fired, rule.name],
    };
  }
  return routing;
}
