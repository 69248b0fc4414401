/**
 * The verifier's native addon (packages/core/native), built at install where a compiler is: SHA-256
 * in batches (sha256-batch.ts), a first reading of events as canonical JSON (bundle-events.ts,
 * scanEventsNatively), the multiproof's walk and hash decoding (multiproof.ts), and a first reading
 * of disclosures.json (bundle-disclosures.ts). Everything it does, the TypeScript also does, with the same results, when it
 * is not built or LATCH_NATIVE=0 (LATCH_NATIVE_SHA256=0, its older name, too).
 */
import { createRequire } from 'node:module';

export interface NativeAddon {
  hashSpans(bytes: Buffer, bounds: Int32Array, prefix: number, out: Buffer, hex: number): boolean;
  hashNodes(slots: Buffer, ops: Int32Array, count: number): boolean;
  scanObjects(bytes: Buffer, bounds: Int32Array, keys: Buffer, keyBounds: Int32Array, out: Int32Array): boolean;
  decodeHashLines(hashes: Buffer, count: number, slots: Buffer, at: number): number;
  multiproofWalk(indices: Float64Array, size: number, proofSlots: number, ops: Int32Array, result: Float64Array): boolean;
  readDisclosures(bytes: Buffer, keys: Int32Array, inputs: Buffer, inputBounds: Int32Array): number;
}

/** The addon's path from this file, in src/proof and in dist/proof alike. */
const ADDON = '../../native/build/Release/latch_native.node';

function load(): NativeAddon | undefined {
  if (process.env.LATCH_NATIVE === '0' || process.env.LATCH_NATIVE_SHA256 === '0') return undefined;
  try {
    return createRequire(import.meta.url)(ADDON) as NativeAddon;
  } catch {
    return undefined;
  }
}

let addon = load();

/** The addon, or undefined where it is not built or is turned off. */
export function nativeAddon(): NativeAddon | undefined {
  return addon;
}

/** For tests: work without the addon (false), or with it again where it is built (true). */
export function useNative(on: boolean): void {
  addon = on ? load() : undefined;
}
