// @vitest-environment jsdom
import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { TimelineEvent } from '../../api/types';
import { RENDERERS } from './renderers';
import { Timeline } from './Timeline';

afterEach(cleanup);

const nameOf = (id: string | null | undefined) => (id === 'u-olivia' ? 'Olivia' : `user ${id ?? '?'}`);
let seq = 0;
const event = (kind: string, data: unknown, extra: Partial<TimelineEvent> = {}): TimelineEvent => ({
  id: `e${++seq}`,
  seq,
  kind,
  at: '2025-01-02T03:04:05.000Z',
  actor: { type: 'user', id: 'u-olivia' },
  outcome: 'ok',
  data,
  hash: 'ab'.repeat(32),
  prevHash: null,
  ...extra,
});

/** The server's own source, read at test time: every event kind it can put on a case's timeline. */
const serverSource = import.meta.glob('../../../../server/src/**/*.ts', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
/** Kinds written only on the system stream (users, tokens, delegations, the log): never on a case page. */
const SYSTEM_ONLY = new Set(['user.created', 'user.updated', 'token.created', 'token.revoked', 'delegation.created', 'delegation.revoked', 'log.key_rotated', 'roles.defined', 'intake.discarded', 'config.reloaded', 'config.reload_refused', 'user.sso_linked', 'webhook.created', 'webhook.updated', 'webhook.deleted', 'webhook.disabled', 'webhook.delivery_replayed']);

function emittedKinds(): Set<string> {
  const kinds = new Set<string>();
  for (const [path, text] of Object.entries(serverSource)) {
    if (path.endsWith('.test.ts')) continue;
    for (const line of text.split('\n').filter((l) => /\bkind\b/.test(l))) {
      for (const match of line.matchAll(/'([a-z]+\.[a-z_]+)'/g)) kinds.add(match[1]!);
    }
  }
  return kinds;
}

const XSS = ['<img src=x onerror=window.__xss=1>', '<script>window.__xss=2</script>', "'><svg onload=alert(1)>"];

describe('the timeline renderer table', () => {
  it('has a renderer for every kind of event the server writes on a case', () => {
    const kinds = [...emittedKinds()].filter((k) => !SYSTEM_ONLY.has(k));
    expect(kinds.length).toBeGreaterThan(15);
    expect(kinds.filter((kind) => !(kind in RENDERERS))).toEqual([]);
  });

  it('shows an unknown kind with its data as inert text', () => {
    const { container, getByText } = render(<Timeline events={[event('future.thing', { note: XSS[0], nested: { html: XSS[1] } })]} nameOf={nameOf} />);
    expect(getByText('future.thing', { selector: '.what' })).toBeTruthy();
    expect(container.textContent).toContain(XSS[0]);
    expect(container.textContent).toContain(XSS[1]);
    expect(container.querySelector('img, script, svg')).toBeNull();
  });

  it('highlights a refused attempt: the server’s line, then why it was refused', () => {
    const summary = 'Refused: Olivia may not approve their own proposal (SELF_APPROVAL_FORBIDDEN)';
    const refused = event(
      'attempt.blocked',
      { attempt: 'action.decide', code: 'SELF_APPROVAL_FORBIDDEN', actionId: 'a1', message: 'You proposed this action; someone else must decide it', details: { decision: 'approve' } },
      { outcome: 'refused', presentation: { summary, actor: { kind: 'user', name: 'Olivia' }, tone: 'refusal' } },
    );
    const { container } = render(<Timeline events={[refused]} nameOf={nameOf} />);
    const item = container.querySelector('li.event')!;
    expect(item.className).toContain('outcome-refused');
    expect(item.className).toContain('tone-refusal');
    expect(item.querySelector('.what')!.textContent).toBe(summary);
    expect(item.textContent).toContain('You proposed this action; someone else must decide it');
    expect(item.textContent).toContain('Decisionapprove');
  });

  it('highlights a denial by its tone, though its outcome is ok', () => {
    const denied = event('approval.denied', { actionId: 'a1', stepName: 'Second reviewer', reason: 'Wrong order' }, { presentation: { summary: 'Bo denied action a1', actor: { kind: 'user', name: 'Bo' }, tone: 'refusal' } });
    const granted = event('approval.granted', { actionId: 'a1', stepName: 'Second reviewer' }, { presentation: { summary: 'Bo approved action a1', actor: { kind: 'user', name: 'Bo' }, tone: 'normal' } });
    const { container } = render(<Timeline events={[denied, granted]} nameOf={nameOf} />);
    const [first, second] = [...container.querySelectorAll('li.event')];
    expect(first!.className).toContain('tone-refusal');
    expect(second!.className).not.toContain('tone-refusal');
  });

  it('names the actor as the server does, with the email as a hint only when the server gave one', () => {
    const viaToken = event('note.added', { body: 'hi' }, { actor: { type: 'token', id: 't1', user: 'u-zed' }, presentation: { summary: 'Zed (API token) added a note', actor: { kind: 'token', name: 'Zed', email: 'zed@example.com' } } });
    const bare = event('note.added', { body: 'hi' }, { presentation: { summary: 'Ana added a note', actor: { kind: 'user', name: 'Ana' } } });
    const { container } = render(<Timeline events={[viaToken, bare]} nameOf={nameOf} />);
    const who = [...container.querySelectorAll('.who')];
    expect(who.map((w) => w.textContent)).toEqual(['Zed (API token)', 'Ana']);
    expect(who[0]!.getAttribute('title')).toBe('zed@example.com');
    expect(who[1]!.hasAttribute('title')).toBe(false);
  });

  it('without a presentation, shows the kind and names the actor from its own list', () => {
    const { container } = render(<Timeline events={[event('status.changed', { from: 'new', to: 'resolved' })]} nameOf={nameOf} />);
    expect(container.querySelector('.what')!.textContent).toBe('status.changed');
    expect(container.querySelector('.who')!.textContent).toBe('Olivia');
  });

  it('shows field changes with old and new values, and people by name', () => {
    const changed = event('field.changed', { changes: [{ field: 'fields.amount_minor', old: 4999, new: 5999 }, { field: 'assigneeId', old: null, new: 'u-olivia' }] });
    const { container } = render(<Timeline events={[changed]} nameOf={nameOf} />);
    const cells = [...container.querySelectorAll('table.changes tbody tr')].map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent));
    expect(cells).toEqual([
      ['amount_minor', '4999', '5999'],
      ['assignee', 'none', 'Olivia'],
    ]);
  });

  it('shows a proposal with its payload and hash, and a decision with its reason', () => {
    const hash = 'cd'.repeat(32);
    const proposed = event(
      'action.proposed',
      { actionId: 'a1', plugin: 'stripe', action: 'refund', input: { amount_minor: 75000 }, payloadHash: hash, summary: '1 approval by role refund_approver', status: 'awaiting_approval' },
      { presentation: { summary: 'Olivia proposed Refund through Stripe: USD 750.00 on pi_1', actor: { kind: 'user', name: 'Olivia' } } },
    );
    const granted = event('approval.granted', { actionId: 'a1', step: 0, stepName: 'Second reviewer', payloadHash: hash, reason: 'Checked the order' });
    const { container } = render(<Timeline events={[proposed, granted]} nameOf={nameOf} />);
    expect(container.querySelector('.what')!.textContent).toBe('Olivia proposed Refund through Stripe: USD 750.00 on pi_1');
    expect(container.textContent).toContain('"amount_minor": 75000');
    expect(container.textContent).toContain('1 approval by role refund_approver');
    expect(container.querySelectorAll('code.hash')[0]!.textContent).toBe(hash);
    expect(container.textContent).toContain('Checked the order');
  });

  it('renders every kind with hostile data as text: no element comes from data', () => {
    const hostile = {
      title: XSS[0], body: XSS[1], filename: XSS[2], summary: XSS[0], output: XSS[1], message: XSS[2], reason: XSS[0], plugin: XSS[1], action: XSS[2],
      input: { note: XSS[0] }, fields: { order_id: XSS[1] }, changes: [{ field: XSS[0], old: XSS[1], new: XSS[2] }], stepName: XSS[0], code: XSS[1], attempt: XSS[2],
      details: { plugin: XSS[0] }, from: XSS[1], to: XSS[2], type: XSS[0], queue: XSS[1], kind: XSS[2], head: XSS[0],
    };
    const events = Object.keys(RENDERERS).map((kind) => event(kind, hostile, { reason: XSS[1] }));
    const { container } = render(<Timeline events={events} nameOf={nameOf} />);
    expect(container.querySelectorAll('li.event')).toHaveLength(events.length);
    expect(container.querySelector('img, script, svg')).toBeNull();
    for (const payload of XSS) expect(container.textContent).toContain(payload);
  });
});
