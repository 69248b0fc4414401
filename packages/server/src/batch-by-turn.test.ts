import { describe, expect, it } from 'vitest';
import { batchedByTurn, sharedByTurn } from './batch-by-turn.js';

describe('batchedByTurn', () => {
  it('loads the keys asked in one turn together, each once, and the next turn again', async () => {
    const loads: number[][] = [];
    const load = batchedByTurn(async (keys: readonly number[]) => {
      loads.push([...keys]);
      return new Map(keys.filter((k) => k !== 3).map((k) => [k, k * 10]));
    });
    // Callers that reach the loader a few awaits apart, as concurrent handlers do, still share the turn.
    const late = async (key: number) => {
      await Promise.resolve();
      await Promise.resolve();
      return load(key);
    };
    expect(await Promise.all([load(1), load(2), load(1), late(3), late(4)])).toEqual([10, 20, 10, undefined, 40]);
    expect(loads).toEqual([[1, 2, 3, 4]]);
    expect(await load(5)).toBe(50);
    expect(loads).toEqual([[1, 2, 3, 4], [5]]);
  });

  it('rejects every caller of a failed load, and loads afresh after it', async () => {
    let fail = true;
    const load = batchedByTurn(async (keys: readonly string[]) => {
      if (fail) throw new Error('database away');
      return new Map(keys.map((k) => [k, k.length]));
    });
    const results = await Promise.allSettled([load('a'), load('bb')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await load('bb')).toBe(2);
  });
});

describe('sharedByTurn', () => {
  it('gives the callers of one turn one load', async () => {
    let loads = 0;
    const read = sharedByTurn(async () => ++loads);
    expect(await Promise.all([read(), read(), read()])).toEqual([1, 1, 1]);
    expect(await read()).toBe(2);
  });
});
