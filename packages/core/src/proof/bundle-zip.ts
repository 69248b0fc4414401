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
 * - one end-of-central-directory record, at the very end (an optional comment aside, none allowed);
 * - every central-directory entry's name is UTF-8 and given once, and its local header repeats the
 *   same name, method, flags, CRC and sizes;
 * - the local entries tile the file from byte 0 to the central directory, in order, with nothing
 *   hidden between them (a streaming reader sees the same members as a central-directory reader);
 * - only stored or deflated members, unencrypted, each inflating to its stated size and CRC-32.
 */
import { crc32, inflateRawSync } from 'node:zlib';

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
const STORED = 0;
const DEFLATED = 8;

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

/** Called per member: a loop, not a callback or a decoding round trip. */
function isAscii(bytes: Buffer): boolean {
  for (let k = 0; k < bytes.length; k++) if (bytes[k]! >= 0x80) return false;
  return true;
}

function fail(message: string): never {
  throw new BundleZipError(message);
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
  if (zip.readUInt16LE(at + 4) !== 0 || zip.readUInt16LE(at + 6) !== 0) fail('multi-disk zip files are not accepted');
  let count = zip.readUInt16LE(at + 10);
  let size = zip.readUInt32LE(at + 12);
  let start = zip.readUInt32LE(at + 16);
  let end = at;
  if (count === 0xffff || size === 0xffffffff || start === 0xffffffff) {
    const locator = at - 20;
    if (locator < 0 || zip.readUInt32LE(locator) !== ZIP64_LOCATOR) fail('zip64 fields without a zip64 end-of-central-directory locator');
    const record = Number(zip.readBigUInt64LE(locator + 8));
    if (record !== locator - 56 || zip.readUInt32LE(record) !== ZIP64_EOCD) fail('the zip64 end-of-central-directory record is not where its locator says');
    count = Number(zip.readBigUInt64LE(record + 32));
    size = Number(zip.readBigUInt64LE(record + 40));
    start = Number(zip.readBigUInt64LE(record + 48));
    end = record;
  }
  if (start + size !== end) fail('the central directory does not end where the end-of-central-directory record begins');
  return { count, start, end };
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
    const nameBytes = zip.subarray(at + 46, at + 46 + nameLength);
    const ascii = isAscii(nameBytes);
    const name = ascii ? nameBytes.toString('latin1') : nameBytes.toString('utf8');
    if (!ascii && !Buffer.from(name, 'utf8').equals(nameBytes)) fail(`central directory entry ${i + 1}: its name is not UTF-8`);
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
    if ((entry.flags & FLAG_ENCRYPTED) !== 0) fail(`${name}: encrypted members are not accepted`);
    if (entry.method !== STORED && entry.method !== DEFLATED) fail(`${name}: compression method ${entry.method} is not accepted (stored or deflate only)`);
    if ((entry.flags & FLAG_UTF8) === 0 && !ascii) fail(`${name}: a non-ASCII name without the UTF-8 flag reads differently in other tools`);
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
  if (!zip.subarray(at + 30, at + 30 + nameLength).equals(entry.nameBytes)) fail(`${name}: the local header names another file than the central directory`);
  const flags = zip.readUInt16LE(at + 6);
  if (flags !== entry.flags || zip.readUInt16LE(at + 8) !== entry.method) fail(`${name}: the local header's flags or method differ from the central directory's`);
  const descriptor = (flags & FLAG_DESCRIPTOR) !== 0;
  const [crc, compressed, size] = [zip.readUInt32LE(at + 14), zip.readUInt32LE(at + 18), zip.readUInt32LE(at + 22)];
  if (!descriptor && (crc !== entry.crc || compressed !== entry.compressedSize || size !== entry.size)) {
    fail(`${name}: the local header's CRC or sizes differ from the central directory's`);
  }
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
        try {
          data = inflateRawSync(raw, { maxOutputLength: Math.max(entry.size, 1) });
        } catch {
          fail(`${entry.name}: its deflated data is corrupt or larger than stated`);
        }
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
