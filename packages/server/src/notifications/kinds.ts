/** What a notification is about. Stable names: preferences and the console key on them. */
export const NOTIFICATION_KINDS = [
  'approval_waiting',
  'proposal_approved',
  'proposal_denied',
  'proposal_expired',
  'proposal_executed',
  'proposal_failed',
  'case_assigned',
  'sla_at_risk',
  'sla_breached',
  'sla_escalated',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** External channels; the console's list is always on. */
export const CHANNELS = ['email', 'slack'] as const;
export type Channel = (typeof CHANNELS)[number];

/** One line saying what happened, with no data of the case: the title is added by whoever may show it. */
export const HEADLINES: Readonly<Record<NotificationKind, string>> = {
  approval_waiting: 'An approval is waiting for you',
  proposal_approved: 'Your proposed action was approved',
  proposal_denied: 'Your proposed action was denied',
  proposal_expired: 'Your proposed action expired before it was approved',
  proposal_executed: 'Your proposed action was executed',
  proposal_failed: 'Your proposed action failed',
  case_assigned: 'A case was assigned to you',
  sla_at_risk: 'A case of yours is about to breach its SLA',
  sla_breached: 'A case of yours breached its SLA',
  sla_escalated: 'A case was escalated to you',
};
