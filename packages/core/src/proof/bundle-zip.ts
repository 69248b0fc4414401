/**
 * Reads an evidence bundle's zip so that it has exactly one reading: the bytes the verifier checks
 * are the only bytes any zip tool can show.
 *
 * Why not fflate's unzipSync (the zip library the server writes bundles with): it returns an object
 * keyed by name, so of two members with one name the last silently wins (`unzip -p` shows the
 * first); it takes each member's name from the central directory without comparing the local
 * header a streaming reader goes by; and it does not check CRC-32. Those are the three ways to hand
 * one tool one file and another tool another, so this reader is strict where they are lenient:
 *
 * - one end-of-central-directory record, at the very end, stating no comment, one disk and one count;
 * - every central-directory entry's name is UTF-8 without control characters and given once, and
 *   its local header repeats the same name, method, flags, CRC and sizes (with a data descriptor,
 *   those the local header states at all);
 * - the local entries tile the file from byte 0 to the central directory, in order, with nothing
 *   hidden between them (a streaming reader sees the same members as a central-directory reader);
 * - only stored or deflated members, unencrypted, each deflate stream ending exactly where the
 *   member's data does, each inflating to its stated size (under 2 GiB) and CRC-32;
 * - nothing a tool could take a name, a size or a way to decode from besides the fields above: no
 *   extra fields but a few harmless ones, no member comments, no flag bits or zip versions past
 *   what a bundle needs, and no directory entries but the bundle format's own directories.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { inertText } from './inert-text.js';

/** Why a zip is refused; the message names the member when one is at fault. */
export class BundleZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleZipError';
  }
}

const EOCD = 0x06054b50;
const ZIP64_EOCD = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const DESCRIPTOR = 0x08074b50;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
/**
 * The flag bits a bundle may use: deflate's speed option (bits 1-2, which change nothing about how
 * the data reads), a data descriptor (bit 3) and UTF-8 names (bit 11). Any other bit asks a reader
 * for something this one does not do (strong encryption, bit 6; a masked local header, bit 13; ...),
 * so a tool that does it would read the member otherwise.
 */
const ALLOWED_FLAGS = 0x0002 | 0x0004 | FLAG_DESCRIPTOR | FLAG_UTF8;
/** Zip 4.5 (zip64), the newest feature this reader reads; writers state 2.0 for deflate. */
const MAX_VERSION_NEEDED = 45;
const STORED = 0;
const DEFLATED = 8;
/**
 * Node 20's Buffer.indexOf is wrong past 2^31 and line offsets are kept in Int32Array, so no member
 * may unpack to 2 GiB or more.
 */
const MAX_MEMBER_SIZE = 2 ** 31;
const ZIP64_EXTRA = 0x0001;
/**
 * Extra fields that only say when a file was made and whose it is (NTFS times 0x000a, extended
 * timestamp 0x5455, Unix UID/GID 0x7875): Info-ZIP zip, 7-Zip and Go write them, so a bundle unzipped
 * and zipped again keeps verifying, and no tool takes a name, size or content from them. Any other
 * field is refused: Info-ZIP's Unicode Path (0x7075) renames a member for unzip (and 7-Zip and
 * libarchive), its Unicode Comment (0x6375) gives it text the verifier never sees, and a field this
 * reader does not know could do the like in some tool. (fflate, which exports bundles, writes no
 * extra field; zip64's 0x0001 is checked apart, in checkExtra.)
 */
const HARMLESS_EXTRA: ReadonlySet<number> = new Set([0x000a, 0x5455, 0x7875]);
/**
 * The directories bundle files live in (bundle.ts classifyPath: events/ and proofs/ in format 1,
 * blobs/ and consistency/ in all): zip tools may list them as empty entries, which are harmless. Any
 * other directory entry is refused: the verifier does not look at directories, yet unzip and Python
 * create them, and `story.txt\0/` extracts as an empty story.txt.
 */
const BUNDLE_DIRECTORIES: ReadonlySet<string> = new Set(['events/', 'proofs/', 'blobs/', 'consistency/']);

interface Entry {
  name: string;
  nameBytes: Buffer;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
}

const NON_ASCII = 1;
const CONTROL = 2;

/**
 * Whether a name has bytes past ASCII (NON_ASCII) and control characters, U+0000-U+001F or U+007F
 * (CONTROL): in UTF-8 these are single bytes that no multi-byte character contains, so the raw bytes
 * tell. Called per member: a loop, not a callback or a decoding round trip.
 */
function scanName(bytes: Buffer): number {
  let found = 0;
  for (let k = 0; k < bytes.length; k++) {
    const b = bytes[k]!;
    if (b >= 0x80) found |= NON_ASCII;
    else if (b < 0x20 || b === 0x7f) found |= CONTROL;
  }
  return found;
}

function fail(message: string): never {
  throw new BundleZipError(message);
}

/** What inflateRawSync returns with `info: true`: the output, and the engine, whose bytesWritten is the input it consumed. */
interface Inflated {
  buffer: Buffer;
  engine: { bytesWritten: number };
}

/** A member's bytes and the CRC-32 its entry states, when readBundleZip leaves the check to the caller. */
export interface UncheckedCrc {
  name: string;
  data: Buffer;
  crc: number;
}

/** The refusal of a member whose bytes do not match the CRC-32 its entry states. */
export const crcMismatch = (name: string): BundleZipError => new BundleZipError(`${name}: CRC-32 mismatch: the member is corrupt or was altered`);

/** The end-of-central-directory record: where the directory is and how many entries it has. */
function readEnd(zip: Buffer): { count: number; start: number; end: number } {
  const at = zip.length - 22;
  // No archive comment: the record is the last 22 bytes, so nothing can hide a second one after it.
  if (at < 0 || zip.readUInt32LE(at) !== EOCD) fail('not a zip file (no end-of-central-directory record at its end; archive comments are not accepted)');
  // A stated comment the file does not hold: Go refuses the zip, others look for the record elsewhere.
  if (zip.readUInt16LE(at + 20) !== 0) fail('the end-of-central-directory record states an archive comment; archive comments are not accepted');
  if (zip.readUInt16LE(at + 4) !== 0 || zip.readUInt16LE(at + 6) !== 0) fail('multi-disk zip files are not accepted');
  // Tools count entries by one or the other: two counts are two readings of how many members there are.
  if (zip.readUInt16LE(at + 8) !== zip.readUInt16LE(at + 10)) fail('the end-of-central-directory record states two different entry counts');
  let count = zip.readUInt16LE(at + 10);
  let size = zip.readUInt32LE(at + 12);
  let start = zip.readUInt32LE(at + 16);
  let end = at;
  if (count === 0xffff || size === 0xffffffff || start === 0xffffffff) {
    const locator = at - 20;
    if (locator < 0 || zip.readUInt32LE(locator) !== ZIP64_LOCATOR) fail('zip64 fields without a zip64 end-of-central-directory locator');
    const record = Number(zip.readBigUInt64LE(locator + 8));
    if (record !== locator - 56 || zip.readUInt32LE(record) !== ZIP64_EOCD) fail('the zip64 end-of-central-directory record is not where its locator says');
    if (zip.readUInt32LE(locator + 4) !== 0 || zip.readUInt32LE(record + 16) !== 0 || zip.readUInt32LE(record + 20) !== 0) fail('multi-disk zip files are not accepted');
    if (zip.readBigUInt64LE(record + 24) !== zip.readBigUInt64LE(record + 32)) fail('the zip64 end-of-central-directory record states two different entry counts');
    if (zip.readUInt16LE(record + 14) > MAX_VERSION_NEEDED) fail(`the zip64 end-of-central-directory record needs zip version ${version(zip.readUInt16LE(record + 14))}; this reader reads up to 4.5`);
    const [count64, size64, start64] = [Number(zip.readBigUInt64LE(record + 32)), Number(zip.readBigUInt64LE(record + 40)), Number(zip.readBigUInt64LE(record + 48))];
    // Some tools take the zip64 value only for a field set to its escape value, others for all of them.
    if ((count !== 0xffff && count !== count64) || (size !== 0xffffffff && size !== size64) || (start !== 0xffffffff && start !== start64)) {
      fail('the end-of-central-directory record and its zip64 record state different central directories');
    }
    [count, size, start, end] = [count64, size64, start64, record];
  }
  if (start + size !== end) fail('the central directory does not end where the end-of-central-directory record begins');
  return { count, start, end };
}

const version = (needed: number): string => (needed / 10).toFixed(1);
const hex = (n: number): string => n.toString(16).padStart(4, '0');

/**
 * Refuses any extra field but the harmless ones and a zip64 field that says what the header says.
 * Every member this reader accepts has its sizes and offset in the 32-bit fields (0xffffffff is
 * refused), so a zip64 field is never needed; some writers add one anyway. Tools that read it only
 * for fields set to 0xffffffff ignore it, others take its values as they come, so each value must
 * be the header's: original size, compressed size, then (central directory only) offset and disk 0.
 * A local zip64 field with a data descriptor is refused: a streaming reader (libarchive) then reads
 * a descriptor of 64-bit sizes, 8 bytes longer than this reader does.
 */
function checkExtra(zip: Buffer, from: number, length: number, entry: Entry, local: boolean): void {
  const { name } = entry;
  const where = local ? 'local header' : 'central directory entry';
  const end = from + length;
  for (let at = from; at < end; ) {
    if (at + 4 > end || at + 4 + zip.readUInt16LE(at + 2) > end) fail(`${name}: the extra field of its ${where} is malformed`);
    const id = zip.readUInt16LE(at);
    const size = zip.readUInt16LE(at + 2);
    if (id === ZIP64_EXTRA) {
      if (local && (entry.flags & FLAG_DESCRIPTOR) !== 0) fail(`${name}: a zip64 extra field with a data descriptor (streaming readers disagree on the descriptor's size)`);
      const values = local ? [entry.size, entry.compressedSize] : [entry.size, entry.compressedSize, entry.offset];
      // 8 bytes a value, and in the central directory a disk number of 4 last.
      let same = size % 8 === 0 ? size <= 8 * values.length : !local && size === 28 && zip.readUInt32LE(at + 28) === 0;
      for (let k = 0; same && k < values.length && 8 * k < size; k++) same = zip.readUInt32LE(at + 4 + 8 * k) === values[k] && zip.readUInt32LE(at + 8 + 8 * k) === 0;
      if (!same) fail(`${name}: the zip64 extra field of its ${where} states other sizes or offset than its header`);
    } else if (!HARMLESS_EXTRA.has(id)) {
      fail(`${name}: extra field 0x${hex(id)} in its ${where} is not accepted (only zip64, timestamps and Unix ids are: others can rename a member in some tools)`);
    }
    at += 4 + size;
  }
}

function readCentral(zip: Buffer, start: number, end: number, count: number): Entry[] {
  const entries: Entry[] = [];
  const names = new Set<string>();
  let at = start;
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || zip.readUInt32LE(at) !== CENTRAL) fail(`central directory entry ${i + 1} is malformed`);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    if (at + 46 + nameLength + extraLength + commentLength > end) fail(`central directory entry ${i + 1} is malformed`);
    const nameBytes = zip.subarray(at + 46, at + 46 + nameLength);
    const scan = scanName(nameBytes);
    const ascii = (scan & NON_ASCII) === 0;
    const name = ascii ? nameBytes.toString('latin1') : nameBytes.toString('utf8');
    if (!ascii && !Buffer.from(name, 'utf8').equals(nameBytes)) fail(`central directory entry ${i + 1}: its name is not UTF-8`);
    // NUL ends the name for C tools (`story.txt\0/` is story.txt to unzip and Python); the others
    // rewrite what a terminal shows. Named with them as \uXXXX escapes, as the verifier's report names files.
    if ((scan & CONTROL) !== 0) fail(`${inertText(name)}: a member name with a control character is not accepted`);
    if (names.has(name)) fail(`${name}: the zip holds two members of this name (tools disagree on which one to show)`);
    names.add(name);
    const entry: Entry = {
      name,
      nameBytes,
      flags: zip.readUInt16LE(at + 8),
      method: zip.readUInt16LE(at + 10),
      crc: zip.readUInt32LE(at + 16),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      offset: zip.readUInt32LE(at + 42),
    };
    if (entry.compressedSize === 0xffffffff || entry.size === 0xffffffff || entry.offset === 0xffffffff) fail(`${name}: members of 4 GiB or more are not accepted`);
    // From the stated size, before anything is inflated; inflating stops at the stated size (readBundleZip).
    if (entry.size >= MAX_MEMBER_SIZE) fail(`${name}: unpacks to ${entry.size} bytes; members of 2 GiB or more are not accepted`);
    if ((entry.flags & FLAG_ENCRYPTED) !== 0) fail(`${name}: encrypted members are not accepted`);
    const otherFlags = entry.flags & ~ALLOWED_FLAGS;
    if (otherFlags !== 0) fail(`${name}: general-purpose flag bits 0x${hex(otherFlags)} are not accepted (other tools read such a member otherwise or not at all)`);
    if (entry.method !== STORED && entry.method !== DEFLATED) fail(`${name}: compression method ${entry.method} is not accepted (stored or deflate only)`);
    const needed = zip.readUInt16LE(at + 6);
    if (needed > MAX_VERSION_NEEDED) fail(`${name}: needs zip version ${version(needed)} to extract; this reader reads up to 4.5`);
    if ((entry.flags & FLAG_UTF8) === 0 && !ascii) fail(`${name}: a non-ASCII name without the UTF-8 flag reads differently in other tools`);
    if (name.endsWith('/')) {
      if (!BUNDLE_DIRECTORIES.has(name)) fail(`${name}: a directory entry for a directory the bundle format does not use`);
      if (entry.size !== 0) fail(`${name}: a directory entry that holds data`);
    }
    // unzip -z and 7-Zip show a member's comment beside it: text the verifier never checks.
    if (commentLength !== 0) fail(`${name}: member comments are not accepted`);
    checkExtra(zip, at + 46 + nameLength, extraLength, entry, false);
    entries.push(entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  if (at !== end) fail('the central directory holds more than its stated entries');
  return entries;
}

/** Checks the local header against the central entry; returns where the member's data starts and where the member ends. */
function readLocal(zip: Buffer, entry: Entry, limit: number): { dataStart: number; memberEnd: number } {
  const at = entry.offset;
  const { name } = entry;
  if (at + 30 > limit || zip.readUInt32LE(at) !== LOCAL) fail(`${name}: no local header where the central directory says`);
  const nameLength = zip.readUInt16LE(at + 26);
  const extraLength = zip.readUInt16LE(at + 28);
  if (at + 30 + nameLength + extraLength > limit) fail(`${name}: its local header runs past the start of the central directory`);
  if (!zip.subarray(at + 30, at + 30 + nameLength).equals(entry.nameBytes)) fail(`${name}: the local header names another file than the central directory`);
  const flags = zip.readUInt16LE(at + 6);
  if (flags !== entry.flags || zip.readUInt16LE(at + 8) !== entry.method) fail(`${name}: the local header's flags or method differ from the central directory's`);
  const needed = zip.readUInt16LE(at + 4);
  if (needed > MAX_VERSION_NEEDED) fail(`${name}: needs zip version ${version(needed)} to extract; this reader reads up to 4.5`);
  const descriptor = (flags & FLAG_DESCRIPTOR) !== 0;
  // A streaming reader finds where a stored member ends only by looking for a descriptor in its data,
  // and the data can hold one that ends the member early; a deflate stream ends itself (readBundleZip).
  if (descriptor && entry.method === STORED) fail(`${name}: a stored member with a data descriptor (streaming readers must guess where its data ends)`);
  const [crc, compressed, size] = [zip.readUInt32LE(at + 14), zip.readUInt32LE(at + 18), zip.readUInt32LE(at + 22)];
  // With a data descriptor the local header may leave them 0 (not known yet when it was written); any it states are compared.
  const differs = (local: number, central: number): boolean => local !== central && (!descriptor || local !== 0);
  if (differs(crc, entry.crc) || differs(compressed, entry.compressedSize) || differs(size, entry.size)) {
    fail(`${name}: the local header's CRC or sizes differ from the central directory's`);
  }
  checkExtra(zip, at + 30 + nameLength, extraLength, entry, true);
  const dataStart = at + 30 + nameLength + extraLength;
  let memberEnd = dataStart + entry.compressedSize;
  if (descriptor) {
    const signed = memberEnd + 4 <= limit && zip.readUInt32LE(memberEnd) === DESCRIPTOR ? 4 : 0;
    const d = memberEnd + signed;
    if (d + 12 > limit || zip.readUInt32LE(d) !== entry.crc || zip.readUInt32LE(d + 4) !== entry.compressedSize || zip.readUInt32LE(d + 8) !== entry.size) {
      fail(`${name}: its data descriptor differs from the central directory`);
    }
    memberEnd = d + 12;
  }
  if (memberEnd > limit) fail(`${name}: its data runs past the start of the central directory`);
  return { dataStart, memberEnd };
}

/**
 * Reads every member of a bundle zip as name → bytes (stored members are views of `zip`, not
 * copies). Throws BundleZipError when the zip could be read two ways, is corrupt, or would unpack
 * to more than `maxUnpackedBytes`.
 *
 * With `uncheckedCrcs`, each member's CRC-32 is not checked here but listed there, in the zip's
 * order, for the caller to check (`latch verify --jobs` checks them on several threads) and to
 * refuse the first mismatch with crcMismatch: the refusal is the one this reader gives, since a
 * problem found later in the zip is thrown only after the members before it pass their CRC-32.
 */
export function readBundleZip(zip: Buffer, maxUnpackedBytes = Number.MAX_SAFE_INTEGER, uncheckedCrcs?: UncheckedCrc[]): Map<string, Buffer> {
  const { count, start, end } = readEnd(zip);
  const entries = readCentral(zip, start, end, count);
  const files = new Map<string, Buffer>();
  let unpacked = 0;
  let expectedOffset = 0;
  // Members in file order must follow one another from byte 0 to the central directory.
  const inFileOrder = entries.every((e, i) => i === 0 || e.offset > entries[i - 1]!.offset) ? entries : [...entries].sort((a, b) => a.offset - b.offset);
  try {
    for (const entry of inFileOrder) {
      if (entry.offset !== expectedOffset) fail(`${entry.name}: ${entry.offset < expectedOffset ? 'overlaps the member before it' : 'bytes are hidden before it that no central directory entry names'}`);
      const { dataStart, memberEnd } = readLocal(zip, entry, start);
      expectedOffset = memberEnd;
      unpacked += entry.size;
      if (unpacked > maxUnpackedBytes) fail(`unpacks to more than ${maxUnpackedBytes} bytes; refusing`);
      const raw = zip.subarray(dataStart, dataStart + entry.compressedSize);
      let data: Buffer;
      if (entry.method === STORED) {
        if (entry.compressedSize !== entry.size) fail(`${entry.name}: a stored member's sizes differ`);
        data = raw;
      } else {
        let read: number;
        try {
          // At most the stated size (under 2 GiB, readCentral), so that is all the output there can be.
          const options = { maxOutputLength: Math.max(entry.size, 1), info: true };
          const inflated = inflateRawSync(raw, options) as unknown as Inflated;
          data = inflated.buffer;
          read = inflated.engine.bytesWritten;
        } catch {
          fail(`${entry.name}: its deflated data is corrupt or larger than stated`);
        }
        // zlib stops at the end of the deflate stream and ignores what follows; a streaming reader
        // stops there too and reads on (a data descriptor, then local entries hidden in the member).
        if (read !== raw.length) fail(`${entry.name}: its deflate stream ends ${raw.length - read} bytes before its compressed data does`);
        if (data.length !== entry.size) fail(`${entry.name}: inflates to ${data.length} bytes, not the ${entry.size} stated`);
      }
      if (uncheckedCrcs !== undefined) uncheckedCrcs.push({ name: entry.name, data, crc: entry.crc });
      else if (crc32(data) !== entry.crc) throw crcMismatch(entry.name);
      files.set(entry.name, data);
    }
    if (expectedOffset !== start) fail('bytes are hidden between the last member and the central directory');
  } catch (error) {
    // Read one member at a time, the first member with a bad CRC-32 would have been refused first.
    for (const member of uncheckedCrcs ?? []) if (crc32(member.data) !== member.crc) throw crcMismatch(member.name);
    throw error;
  }
  return files;
}
