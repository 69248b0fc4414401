// @vitest-environment jsdom
import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { When } from './Inert';

afterEach(cleanup);

describe('relative moments', () => {
  it('reads an event a few seconds ahead of the page clock as now, never "in N seconds"', () => {
    const { container } = render(<When at={new Date(Date.now() + 7_000).toISOString()} />);
    expect(container.textContent).toBe('now');
  });

  it('still reads a due time ahead as in the future, and the past as ago', () => {
    const { container } = render(
      <>
        <When at={new Date(Date.now() + 2 * 86_400_000 + 60_000).toISOString()} />|<When at={new Date(Date.now() - 3 * 3_600_000 - 1_000).toISOString()} />
      </>,
    );
    expect(container.textContent).toBe('in 2 days|3 hours ago');
  });
});
