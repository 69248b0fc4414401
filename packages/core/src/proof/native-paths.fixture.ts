import { expect } from 'vitest';
import { useNative } from './native-addon.js';

/** The two ways the verifier can run, for describe.each: with the native addon, and in TypeScript (and node:crypto) alone. */
export const NATIVE_PATHS = [
  ['through the native addon', true],
  ['in TypeScript alone', false],
] as const;

/** What `run` gives with the addon, having checked that it gives the very same without it. */
export function sameWithoutNative<T>(run: () => T): T {
  const native = run();
  useNative(false);
  try {
    expect(run()).toEqual(native);
  } finally {
    useNative(true);
  }
  return native;
}
