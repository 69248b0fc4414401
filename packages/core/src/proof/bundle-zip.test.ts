import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BundleZipError, crcMismatch, readBundleZip, type UncheckedCrc } from './bundle-zip.js';

// Zips are written here byte by byte, as a forger would, so each trick is exactly the one named.

interface Member {
  name: string;
  data: Buffer;
  /** Overrides for what the local header or central directory claim. */
  localName?: string;
  crc?: number;
  /** The member's bytes as the zip holds them, deflated (method 8); without it, `data` stored. */
  deflated?: Buffer;
  /** General-purpose flags; bit 3 (0x0008) writes a data descriptor after the data. */
  flags?: number;
  /** The unpacked size stated, when not data's length. */
  size?: number;
  versionNeeded?: number;
  /** Extra fields of both headers, or of the local header alone. */
  extra?: Buffer;
  localExtra?: Buffer;
  comment?: string;
  /** With a data descriptor: the CRC, compressed and unpacked size the local header states (0s unless given). */
  localFields?: [number, number, number];
}

/** What a local header and a central directory entry state of a member. */
interface Fields {
  name: Buffer;
  flags: number;
  method: number;
  versionNeeded: number;
  crc: number;
  compressed: number;
  size: number;
  extra: Buffer;
}

function fieldsOf(m: Member): Fields {
  return {
    name: Buffer.from(m.name),
    flags: m.flags ?? 0x0800,
    method: m.deflated === undefined ? 0 : 8,
    versionNeeded: m.versionNeeded ?? 20,
    crc: m.crc ?? crc32(m.data),
    compressed: (m.deflated ?? m.data).length,
    size: m.size ?? m.data.length,
    extra: m.extra ?? Buffer.alloc(0),
  };
}

function localHeader(f: Fields): Buffer {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(f.versionNeeded, 4);
  h.writeUInt16LE(f.flags, 6);
  h.writeUInt16LE(f.method, 8);
  h.writeUInt32LE(f.crc, 14);
  h.writeUInt32LE(f.compressed, 18);
  h.writeUInt32LE(f.size, 22);
  h.writeUInt16LE(f.name.length, 26);
  h.writeUInt16LE(f.extra.length, 28);
  return Buffer.concat([h, f.name, f.extra]);
}

function centralEntry(f: Fields, comment: Buffer, offset: number): Buffer {
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(f.versionNeeded, 6);
  h.writeUInt16LE(f.flags, 8);
  h.writeUInt16LE(f.method, 10);
  h.writeUInt32LE(f.crc, 16);
  h.writeUInt32LE(f.compressed, 20);
  h.writeUInt32LE(f.size, 24);
  h.writeUInt16LE(f.name.length, 28);
  h.writeUInt16LE(f.extra.length, 30);
  h.writeUInt16LE(comment.length, 32);
  h.writeUInt32LE(offset, 42);
  return Buffer.concat([h, f.name, f.extra, comment]);
}

/** A data descriptor, with its signature. */
function descriptorOf(f: Fields): Buffer {
  const d = Buffer.alloc(16);
  d.writeUInt32LE(0x08074b50, 0);
  d.writeUInt32LE(f.crc, 4);
  d.writeUInt32LE(f.compressed, 8);
  d.writeUInt32LE(f.size, 12);
  return d;
}

/** An extra field: its ID, its length and its data. */
function extraField(id: number, data: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16LE(id, 0);
  h.writeUInt16LE(data.length, 2);
  return Buffer.concat([h, data]);
}

/** A zip of the members, in order: stored unless deflated bytes are given. */
function zipOf(members: Member[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const f = fieldsOf(m);
    const descriptor = (f.flags & 0x0008) !== 0;
    const [crc, compressed, size] = descriptor ? (m.localFields ?? [0, 0, 0]) : [f.crc, f.compressed, f.size];
    const header = localHeader({ ...f, name: Buffer.from(m.localName ?? m.name), crc, compressed, size, extra: m.localExtra ?? f.extra });
    const local = Buffer.concat([header, m.deflated ?? m.data, descriptor ? descriptorOf(f) : Buffer.alloc(0)]);
    centrals.push(centralEntry(f, Buffer.from(m.comment ?? ''), offset));
    locals.push(local);
    offset += local.length;
  }
  const central = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, central, end]);
}

const genuine = Buffer.from('{"v":1,"genuine":true}');
const forged = Buffer.from('{"v":1,"genuine":false}');
const refusal = (zip: Buffer): string => {
  try {
    readBundleZip(zip);
  } catch (e) {
    if (e instanceof BundleZipError) return e.message;
    throw e;
  }
  return 'read';
};

describe('readBundleZip', () => {
  it('reads a well-formed zip, stored and deflated, as the zip tool does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bundle-zip-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const manual = zipOf([{ name: 'manifest.json', data: genuine }, { name: 'events/00000001.json', data: forged }]);
    expect([...readBundleZip(manual)].map(([n, b]) => [n, b.toString()])).toEqual([
      ['manifest.json', genuine.toString()],
      ['events/00000001.json', forged.toString()],
    ]);
    // A deflated zip written by Python's zipfile (an independent writer) reads the same.
    const big = 'x'.repeat(10_000);
    const path = join(dir, 'deflated.zip');
    execFileSync('python3', ['-c', `import zipfile,sys\nwith zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED) as z:\n  z.writestr('a.txt', sys.argv[2])\n  z.writestr('blobs/', '')`, path, big]);
    const files = readBundleZip(Buffer.from(execFileSync('cat', [path])));
    expect(files.get('a.txt')!.toString()).toBe(big);
    expect(files.get('blobs/')!.length).toBe(0);
    writeFileSync(join(dir, 'manual.zip'), manual);
    expect(execFileSync('unzip', ['-p', join(dir, 'manual.zip'), 'manifest.json']).toString()).toBe(genuine.toString());
  });

  it('refuses two members of one name (a forged copy first, the genuine one last)', () => {
    const zip = zipOf([{ name: 'events/00000005.json', data: forged }, { name: 'events/00000005.json', data: genuine }]);
    expect(refusal(zip)).toBe('events/00000005.json: the zip holds two members of this name (tools disagree on which one to show)');
  });

  it('refuses a local header naming a different file from the central directory', () => {
    const zip = zipOf([{ name: 'manifest.json', data: genuine, localName: 'manifest.jsoN' }]);
    expect(refusal(zip)).toBe('manifest.json: the local header names another file than the central directory');
  });

  it('refuses a member whose CRC-32 does not match its bytes', () => {
    const zip = zipOf([{ name: 'checkpoint', data: genuine, crc: crc32(forged) }]);
    expect(refusal(zip)).toBe('checkpoint: CRC-32 mismatch: the member is corrupt or was altered');
  });

  it('refuses a member hidden from the central directory, which a streaming reader would show', () => {
    const zip = zipOf([{ name: 'manifest.json', data: genuine }]);
    const hidden = Buffer.concat([localHeader(fieldsOf({ name: 'events/00000005.json', data: forged })), forged]);
    const withHidden = Buffer.concat([hidden, zip]);
    // Point the directory past the hidden member, as a forger would.
    const end = withHidden.length - 22;
    withHidden.writeUInt32LE(withHidden.readUInt32LE(end + 16) + hidden.length, end + 16);
    const central = withHidden.readUInt32LE(end + 16);
    withHidden.writeUInt32LE(hidden.length, central + 42);
    expect(refusal(withHidden)).toBe('manifest.json: bytes are hidden before it that no central directory entry names');
  });

  it('refuses trailing data, comments and junk instead of crashing', () => {
    const zip = zipOf([{ name: 'manifest.json', data: genuine }]);
    expect(refusal(Buffer.concat([zip, Buffer.from('trailing')]))).toMatch(/^not a zip file/);
    expect(refusal(Buffer.from('PK\u0003\u0004 not really'))).toMatch(/^not a zip file/);
    expect(refusal(Buffer.alloc(0))).toMatch(/^not a zip file/);
    for (let i = 0; i < zip.length; i++) {
      const broken = Buffer.from(zip);
      broken[i] = broken[i]! ^ 0x40;
      const outcome = refusal(broken); // never a crash: refused, or read with the same one reading
      if (outcome === 'read') expect(readBundleZip(broken).size).toBe(1);
    }
  });

  it('leaves the CRC-32 to the caller when asked, and refuses as a one-member-at-a-time reading would', () => {
    const members = [{ name: 'a', data: genuine }, { name: 'b', data: forged, crc: crc32(genuine) }, { name: 'c', data: genuine }];
    const unchecked: UncheckedCrc[] = [];
    const files = readBundleZip(zipOf(members), undefined, unchecked);
    expect([...files.keys()]).toEqual(['a', 'b', 'c']);
    expect(unchecked.map((m) => [m.name, m.crc === crc32(m.data)])).toEqual([['a', true], ['b', false], ['c', true]]);
    expect(crcMismatch('b').message).toBe(refusal(zipOf(members)));
    // A later problem in the zip: the reader one member at a time stops at b's CRC-32 first, and so does this one.
    const hiddenAfter = (zip: Buffer): Buffer => {
      const end = zip.length - 22;
      const centralAt = zip.readUInt32LE(end + 16);
      const padded = Buffer.concat([zip.subarray(0, centralAt), Buffer.from('junk'), zip.subarray(centralAt)]);
      padded.writeUInt32LE(centralAt + 4, padded.length - 22 + 16);
      return padded;
    };
    const both = hiddenAfter(zipOf(members));
    expect(refusal(both)).toBe('b: CRC-32 mismatch: the member is corrupt or was altered');
    expect(() => readBundleZip(both, undefined, [])).toThrow('b: CRC-32 mismatch: the member is corrupt or was altered');
    const onlyHidden = hiddenAfter(zipOf([members[0]!, members[2]!]));
    expect(() => readBundleZip(onlyHidden, undefined, [])).toThrow(refusal(onlyHidden));
    expect(refusal(onlyHidden)).toBe('bytes are hidden between the last member and the central directory');
  });

  it('refuses a zip that unpacks to more than the limit', () => {
    const zip = zipOf([{ name: 'a', data: genuine }, { name: 'b', data: genuine }]);
    expect(() => readBundleZip(zip, genuine.length + 1)).toThrow(/unpacks to more than/);
  });

  it('refuses a deflated member whose deflate stream ends before its data does, hiding members a streaming reader shows', () => {
    const deflated = deflateRawSync(genuine);
    expect([...readBundleZip(zipOf([{ name: 'events.jsonl', data: genuine, deflated, flags: 0x0808 }]))]).toEqual([['events.jsonl', genuine]]);
    // After the end of the stream: the descriptor a streaming reader (Java's ZipInputStream, `jar x`)
    // reads there, then a forged story.txt it shows next; zlib stops at the stream's end and ignores them.
    const forgedStory = { name: 'story.txt', data: forged };
    const streamEnd = descriptorOf(fieldsOf({ name: 'events.jsonl', data: genuine, deflated }));
    const hidden = Buffer.concat([streamEnd, localHeader(fieldsOf(forgedStory)), forged]);
    const member = { name: 'events.jsonl', data: genuine, deflated: Buffer.concat([deflated, hidden]), flags: 0x0808 };
    const refused = `events.jsonl: its deflate stream ends ${hidden.length} bytes before its compressed data does`;
    expect(refusal(zipOf([member, { name: 'story.txt', data: genuine }]))).toBe(refused);
    expect(refusal(zipOf([{ ...member, flags: 0x0800 }]))).toBe(refused);
  });

  it('with a data descriptor, compares what the local header states, and refuses a stored member', () => {
    const deflated = deflateRawSync(genuine);
    const member = { name: 'story.txt', data: genuine, deflated, flags: 0x0808 };
    expect(refusal(zipOf([{ ...member, localFields: [crc32(genuine), deflated.length, genuine.length] }]))).toBe('read');
    expect(refusal(zipOf([{ ...member, localFields: [0, deflated.length, 0] }]))).toBe('read');
    expect(refusal(zipOf([{ ...member, localFields: [crc32(genuine), 7, 9] }]))).toBe("story.txt: the local header's CRC or sizes differ from the central directory's");
    expect(refusal(zipOf([{ ...member, localFields: [crc32(forged), 0, 0] }]))).toBe("story.txt: the local header's CRC or sizes differ from the central directory's");
    // A streaming reader (libarchive) ends a stored member at the first descriptor its data holds.
    expect(refusal(zipOf([{ name: 'story.txt', data: genuine, flags: 0x0808 }]))).toBe('story.txt: a stored member with a data descriptor (streaming readers must guess where its data ends)');
  });

  it('refuses control characters in member names, directories included', () => {
    // Python and unzip cut the name at NUL: they extract an empty story.txt.
    expect(refusal(zipOf([{ name: 'story.txt', data: genuine }, { name: 'story.txt\0/', data: Buffer.alloc(0) }]))).toBe('story.txt\\u0000/: a member name with a control character is not accepted');
    expect(refusal(zipOf([{ name: 'a\rb\u0007c', data: genuine }]))).toBe('a\\u000db\\u0007c: a member name with a control character is not accepted');
    expect(refusal(zipOf([{ name: 'blobs/\u001b[2J', data: genuine }]))).toBe('blobs/\\u001b[2J: a member name with a control character is not accepted');
    expect(refusal(zipOf([{ name: 'story\u007f.txt', data: genuine }]))).toBe('story\\u007f.txt: a member name with a control character is not accepted');
  });

  it("accepts directory entries only for the bundle format's directories, and empty", () => {
    const empty = Buffer.alloc(0);
    const dirs = ['events/', 'proofs/', 'blobs/', 'consistency/'].map((name) => ({ name, data: empty }));
    expect([...readBundleZip(zipOf([{ name: 'manifest.json', data: genuine }, ...dirs])).keys()]).toEqual(['manifest.json', 'events/', 'proofs/', 'blobs/', 'consistency/']);
    expect(refusal(zipOf([{ name: 'zz/', data: empty }]))).toBe('zz/: a directory entry for a directory the bundle format does not use');
    expect(refusal(zipOf([{ name: 'story.txt/', data: empty }]))).toBe('story.txt/: a directory entry for a directory the bundle format does not use');
    expect(refusal(zipOf([{ name: '../blobs/', data: empty }]))).toBe('../blobs/: a directory entry for a directory the bundle format does not use');
    expect(refusal(zipOf([{ name: 'blobs/', data: genuine }]))).toBe('blobs/: a directory entry that holds data');
  });

  it('refuses extra fields but zip64 stating the same and harmless timestamps and ids, and member comments', () => {
    // Info-ZIP's Unicode Path field: unzip names the member story.txt by it.
    const unicodePath = extraField(0x7075, Buffer.concat([Buffer.from([1]), Buffer.alloc(4), Buffer.from('story.txt')]));
    expect(refusal(zipOf([{ name: 'people.json', data: genuine, extra: unicodePath }]))).toBe(
      'people.json: extra field 0x7075 in its central directory entry is not accepted (only zip64, timestamps and Unix ids are: others can rename a member in some tools)',
    );
    expect(refusal(zipOf([{ name: 'people.json', data: genuine, localExtra: unicodePath }]))).toBe(
      'people.json: extra field 0x7075 in its local header is not accepted (only zip64, timestamps and Unix ids are: others can rename a member in some tools)',
    );
    const member = { name: 'people.json', data: genuine };
    const unicodeComment = extraField(0x6375, Buffer.from('\u0001....hi'));
    expect(refusal(zipOf([{ ...member, extra: unicodeComment }]))).toMatch(/^people\.json: extra field 0x6375 in its central directory entry is not accepted/);
    expect(refusal(zipOf([{ ...member, extra: extraField(0x0000, Buffer.alloc(0)) }]))).toMatch(/^people\.json: extra field 0x0000 /);
    // What Info-ZIP zip, 7-Zip and Go write: times and Unix ids.
    const unixIds = Buffer.from([1, 4, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
    const harmless = Buffer.concat([extraField(0x5455, Buffer.alloc(5)), extraField(0x7875, unixIds), extraField(0x000a, Buffer.alloc(32))]);
    expect(refusal(zipOf([{ ...member, extra: harmless }]))).toBe('read');
    expect(refusal(zipOf([{ ...member, extra: harmless.subarray(0, 3) }]))).toBe('people.json: the extra field of its central directory entry is malformed');
    // A zip64 field whose values are the header's reads the same in every tool; any other value would not.
    const zip64 = (...values: number[]): Buffer => {
      const data = Buffer.alloc(8 * values.length);
      values.forEach((v, k) => data.writeBigUInt64LE(BigInt(v), 8 * k));
      return extraField(0x0001, data);
    };
    const sizes = zip64(genuine.length, genuine.length);
    const sizesAndOffset = (offset: number, disk = 0): Buffer => {
      const field = Buffer.concat([zip64(genuine.length, genuine.length, offset), Buffer.alloc(4)]);
      field.writeUInt16LE(28, 2);
      field.writeUInt32LE(disk, 28);
      return field;
    };
    expect(refusal(zipOf([{ ...member, extra: sizes }]))).toBe('read');
    expect(refusal(zipOf([{ ...member, localExtra: sizes, extra: sizesAndOffset(0) }]))).toBe('read');
    const otherValues = (where: string): string => `people.json: the zip64 extra field of its ${where} states other sizes or offset than its header`;
    expect(refusal(zipOf([{ ...member, extra: zip64(forged.length, genuine.length) }]))).toBe(otherValues('central directory entry'));
    expect(refusal(zipOf([{ ...member, localExtra: sizes, extra: sizesAndOffset(100) }]))).toBe(otherValues('central directory entry'));
    expect(refusal(zipOf([{ ...member, localExtra: sizes, extra: sizesAndOffset(0, 1) }]))).toBe(otherValues('central directory entry'));
    expect(refusal(zipOf([{ ...member, localExtra: zip64(genuine.length, 0) }]))).toBe(otherValues('local header'));
    // With one, libarchive reads a data descriptor of 64-bit sizes after the data.
    const withDescriptor = { ...member, deflated: deflateRawSync(genuine), flags: 0x0808, localExtra: zip64(0, 0) };
    expect(refusal(zipOf([withDescriptor]))).toBe("people.json: a zip64 extra field with a data descriptor (streaming readers disagree on the descriptor's size)");
    // unzip -z shows a member's comment beside it.
    expect(refusal(zipOf([{ ...member, comment: 'VERIFIED by the auditor' }]))).toBe('people.json: member comments are not accepted');
  });

  it('refuses a member of 2 GiB or more from its stated size, before inflating anything', () => {
    const deflated = deflateRawSync(Buffer.alloc(64 * 1024, 0x20));
    const stated = (size: number): string => refusal(zipOf([{ name: 'events.jsonl', data: Buffer.alloc(0), deflated, size }]));
    expect(stated(2 ** 31)).toBe('events.jsonl: unpacks to 2147483648 bytes; members of 2 GiB or more are not accepted');
    expect(stated(2 ** 32 - 2)).toBe('events.jsonl: unpacks to 4294967294 bytes; members of 2 GiB or more are not accepted');
    expect(stated(2 ** 31 - 1)).toBe(`events.jsonl: inflates to ${64 * 1024} bytes, not the ${2 ** 31 - 1} stated`);
  });

  it('refuses an end record stating a comment or two entry counts, unknown flag bits and zip versions past 4.5', () => {
    const zip = zipOf([{ name: 'manifest.json', data: genuine }, { name: 'story.txt', data: genuine }]);
    const edited = (at: number, value: number): Buffer => {
      const copy = Buffer.from(zip);
      copy.writeUInt16LE(value, at < 0 ? copy.length + at : at);
      return copy;
    };
    expect(refusal(edited(-2, 1))).toBe('the end-of-central-directory record states an archive comment; archive comments are not accepted');
    expect(refusal(edited(-22 + 8, 1))).toBe('the end-of-central-directory record states two different entry counts');
    expect(refusal(edited(4, 63))).toBe('manifest.json: needs zip version 6.3 to extract; this reader reads up to 4.5');
    const member = { name: 'story.txt', data: genuine };
    expect(refusal(zipOf([{ ...member, versionNeeded: 45 }]))).toBe('read');
    expect(refusal(zipOf([{ ...member, versionNeeded: 46 }]))).toBe('story.txt: needs zip version 4.6 to extract; this reader reads up to 4.5');
    expect(refusal(zipOf([{ ...member, deflated: deflateRawSync(genuine), flags: 0x0806 }]))).toBe('read');
    expect(refusal(zipOf([{ ...member, flags: 0x0840 }]))).toBe('story.txt: general-purpose flag bits 0x0040 are not accepted (other tools read such a member otherwise or not at all)');
    expect(refusal(zipOf([{ ...member, flags: 0x2800 }]))).toBe('story.txt: general-purpose flag bits 0x2000 are not accepted (other tools read such a member otherwise or not at all)');
    expect(refusal(zipOf([{ ...member, flags: 0x0810 }]))).toBe('story.txt: general-purpose flag bits 0x0010 are not accepted (other tools read such a member otherwise or not at all)');
    expect(refusal(zipOf([{ ...member, flags: 0x0801 }]))).toBe('story.txt: encrypted members are not accepted');
  });

  it('reads a zip64 end record only when it states what the 32-bit one does', () => {
    const zip = zipOf([{ name: 'manifest.json', data: genuine }, { name: 'story.txt', data: genuine }]);
    // As Python writes it past 65,535 members: the count escaped, the size and offset kept.
    const withZip64 = (edit: (record: Buffer, end: Buffer) => void): Buffer => {
      const endAt = zip.length - 22;
      const end = Buffer.from(zip.subarray(endAt));
      const record = Buffer.alloc(56);
      record.writeUInt32LE(0x06064b50, 0);
      record.writeBigUInt64LE(44n, 4);
      record.writeUInt16LE(45, 12);
      record.writeUInt16LE(45, 14);
      record.writeBigUInt64LE(2n, 24);
      record.writeBigUInt64LE(2n, 32);
      record.writeBigUInt64LE(BigInt(end.readUInt32LE(12)), 40);
      record.writeBigUInt64LE(BigInt(end.readUInt32LE(16)), 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(0x07064b50, 0);
      locator.writeBigUInt64LE(BigInt(endAt), 8);
      locator.writeUInt32LE(1, 16);
      end.writeUInt16LE(0xffff, 8);
      end.writeUInt16LE(0xffff, 10);
      edit(record, end);
      return Buffer.concat([zip.subarray(0, endAt), record, locator, end]);
    };
    expect(refusal(withZip64(() => {}))).toBe('read');
    expect(refusal(withZip64((record) => record.writeBigUInt64LE(1n, 24)))).toBe('the zip64 end-of-central-directory record states two different entry counts');
    expect(refusal(withZip64((record) => record.writeUInt16LE(62, 14)))).toBe('the zip64 end-of-central-directory record needs zip version 6.2; this reader reads up to 4.5');
    expect(refusal(withZip64((record) => record.writeUInt32LE(1, 16)))).toBe('multi-disk zip files are not accepted');
    // A tool taking the 32-bit offset (not escaped) would read another central directory.
    expect(refusal(withZip64((_, end) => end.writeUInt32LE(end.readUInt32LE(16) + 1, 16)))).toBe('the end-of-central-directory record and its zip64 record state different central directories');
  });
});
