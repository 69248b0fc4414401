import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BundleZipError, crcMismatch, readBundleZip, type UncheckedCrc } from './bundle-zip.js';

// Zips are written here byte by byte, as a forger would, so each trick is exactly the one named.

interface Member {
  name: string;
  data: Buffer;
  /** Overrides for what the local header or central directory claim. */
  localName?: string;
  crc?: number;
}

function localHeader(name: Buffer, crc: number, size: number): Buffer {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(0x0800, 6);
  h.writeUInt32LE(crc, 14);
  h.writeUInt32LE(size, 18);
  h.writeUInt32LE(size, 22);
  h.writeUInt16LE(name.length, 26);
  return Buffer.concat([h, name]);
}

function centralEntry(name: Buffer, crc: number, size: number, offset: number): Buffer {
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(20, 6);
  h.writeUInt16LE(0x0800, 8);
  h.writeUInt32LE(crc, 16);
  h.writeUInt32LE(size, 20);
  h.writeUInt32LE(size, 24);
  h.writeUInt16LE(name.length, 28);
  h.writeUInt32LE(offset, 42);
  return Buffer.concat([h, name]);
}

/** A stored zip of the members, in order. */
function zipOf(members: Member[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const crc = m.crc ?? crc32(m.data);
    const local = Buffer.concat([localHeader(Buffer.from(m.localName ?? m.name), crc, m.data.length), m.data]);
    centrals.push(centralEntry(Buffer.from(m.name), crc, m.data.length, offset));
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
    execFileSync('python3', ['-c', `import zipfile,sys\nwith zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED) as z:\n  z.writestr('a.txt', sys.argv[2])\n  z.writestr('dir/', '')`, path, big]);
    const files = readBundleZip(Buffer.from(execFileSync('cat', [path])));
    expect(files.get('a.txt')!.toString()).toBe(big);
    expect(files.get('dir/')!.length).toBe(0);
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
    const hidden = Buffer.concat([localHeader(Buffer.from('events/00000005.json'), crc32(forged), forged.length), forged]);
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
});
