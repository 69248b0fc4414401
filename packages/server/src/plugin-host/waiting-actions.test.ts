import { describe, expect, it } from 'vitest';
import { describeWaiting } from './waiting-actions.js';

describe('describeWaiting', () => {
  it('says nothing when no action waits', () => {
    expect(describeWaiting({ count: 0, byAction: new Map(), firstIds: [] })).toBeUndefined();
  });

  it('counts per plugin action and names the first ids, then how many more', () => {
    const firstIds = Array.from({ length: 10 }, (_, i) => `id-${i}`);
    const line = describeWaiting({ count: 14, byAction: new Map([['stripe.refund', 12], ['slack.post', 2]]), firstIds });
    expect(line).toBe(
      `14 approved action(s) wait for a plugin this server does not run: stripe.refund (12), slack.post (2); ids ${firstIds.join(', ')}, and 4 more. Configure the plugin in plugins.yaml and restart.`,
    );
  });
});
