import { principalFor, actorOf } from '../auth/principal.js';
import { countUsers, createUser, type UserRow } from '../auth/users.js';
import { addNote } from '../cases/notes.js';
import { createCase } from '../cases/create-case.js';
import { updateCase } from '../cases/update-case.js';
import { proposeAction } from '../approvals/propose-action.js';
import { proposalRefusal } from '../plugin-host/plugin-availability.js';
import type { LatchContext } from '../context.js';

/** The demo accounts; their passwords are printed at start and listed in the README. */
export const DEMO_USERS = [
  { email: 'admin@latch.example', name: 'Ada Admin', password: 'demo-admin-password', roles: ['admin'], teams: [] },
  { email: 'olivia@latch.example', name: 'Olivia Operator', password: 'demo-operator-password', roles: ['operator'], teams: ['refunds'] },
  { email: 'rita@latch.example', name: 'Rita Reviewer', password: 'demo-approver-password', roles: ['refund_approver'], teams: ['refunds'] },
  { email: 'sam@latch.example', name: 'Sam Requester', password: 'demo-requester-password', roles: ['requester'], teams: [] },
] as const;

const DEMO_REFUNDS = [
  { title: 'Refund for order #1042: parcel never arrived', order_id: '1042', amount_minor: 4_999, currency: 'usd', email: 'jane.doe@customer.example', name: 'Jane Doe' },
  { title: 'Double charge on order #1057', order_id: '1057', amount_minor: 12_000, currency: 'eur', email: 'marc@customer.example', name: 'Marc Weber', reason: 'duplicate' },
  { title: 'Refund above threshold: order #1101 (enterprise plan)', order_id: '1101', amount_minor: 250_000, currency: 'usd', email: 'ops@bigco.example', name: 'BigCo Ops', priority: 'high' as const },
  { title: 'Suspected fraud on order #1120', order_id: '1120', amount_minor: 89_900, currency: 'gbp', email: 'h.singh@customer.example', name: 'Harpreet Singh', reason: 'fraudulent', priority: 'urgent' as const },
  { title: 'Partial refund for damaged item, order #1133', order_id: '1133', amount_minor: 1_500, currency: 'usd', email: 'li.wei@customer.example', name: 'Li Wei', priority: 'low' as const },
];

/** Fills an empty deployment with demo users and a handful of cases, through the same commands the API uses. */
export async function seedDemo(ctx: LatchContext): Promise<boolean> {
  if ((await countUsers(ctx.database.db)) > 0) return false;
  const system = { type: 'system', id: 'demo-seed' } as const;
  const users: UserRow[] = [];
  for (const user of DEMO_USERS) {
    users.push(await ctx.database.write((tx) => createUser(tx, { ...user, roles: [...user.roles], teams: [...user.teams] }, system, undefined, ctx.roles)));
  }
  const olivia = principalFor(users[1]!, ctx.roles);
  const visibility = ctx.teams.visibilityOf(olivia);
  for (const [i, refund] of DEMO_REFUNDS.entries()) {
    await ctx.database.write(async (tx) => {
      const created = await createCase(tx, ctx.caseTypes, olivia, actorOf(olivia), {
        type: 'refund',
        title: refund.title,
        description: `Customer ${refund.name} wrote in asking for a refund on order ${refund.order_id}.`,
        priority: refund.priority,
        requester: { email: refund.email, name: refund.name },
        fields: {
          order_id: refund.order_id,
          payment_intent: `pi_demo${refund.order_id}`,
          amount_minor: refund.amount_minor,
          currency: refund.currency,
          customer_email: refund.email,
          ...(refund.reason ? { reason: refund.reason } : {}),
        },
      });
      // Above the threshold: waits for a refund_approver (Rita) to decide. Not proposed where the
      // deployment runs plugins but not Stripe: the proposal would be refused.
      if (refund.amount_minor > 50_000 && !proposalRefusal(ctx.plugins, 'stripe', 'refund')) {
        await proposeAction(tx, ctx.caseTypes, ctx.scheduler, olivia, visibility, actorOf(olivia), created.id, {
          plugin: 'stripe',
          action: 'refund',
          input: { payment_intent: `pi_demo${refund.order_id}`, amount_minor: refund.amount_minor, currency: refund.currency, reason: refund.reason ?? 'requested_by_customer' },
        }, ctx.plugins);
      }
      if (i % 2 === 0) {
        await addNote(tx, visibility, actorOf(olivia), olivia.userId, created.id, 'Checked the order history: the charge is genuine and unrefunded.');
        await updateCase(tx, ctx.caseTypes, visibility, actorOf(olivia), created.id, created.version, {
          status: 'in_progress',
          assigneeId: olivia.userId,
          reason: 'Picked up from the queue',
        });
      }
    });
  }
  return true;
}
