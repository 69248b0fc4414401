/**
 * The fields of an event body as the verifier scans them, and the packed form of one scan: shared
 * by the events check, which scans each event once, and the story check, which writes each line
 * from the fields that scan found. A module of its own, with no imports, so both can use it.
 */

export const FIELDS = ['actor', 'at', 'blobs', 'data', 'id', 'kind', 'outcome', 'prev', 'reason', 'seq', 'stream', 'v'] as const;
export type EventField = (typeof FIELDS)[number];
/** Each field's position in FIELDS, which is where the reader reports it. */
export const F = Object.fromEntries(FIELDS.map((name, i) => [name, i])) as Record<EventField, number>;

/** Numbers per event in a packed scan: a flag (1: scanned, canonical, no unexpected field), then each field's start and end. */
export const PACKED_SCAN = 1 + 2 * FIELDS.length;

/** Where field `field` (its position in FIELDS, `F.at`) of the event packed at `at` of `scans` starts in its bytes (-1: absent). */
export const packedStart = (scans: Int32Array, at: number, field: number): number => scans[at + 1 + field]!;
/** Where it ends. */
export const packedEnd = (scans: Int32Array, at: number, field: number): number => scans[at + 1 + FIELDS.length + field]!;
