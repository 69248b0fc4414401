import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CheckpointError, formatCheckpoint, parseCheckpoint } from './checkpoint.js';
import { HASH_SIZE, leafHash, rootOf } from './merkle.js';
import { openNote, parseVerifierKey, signNote, verifierKey } from './signed-note.js';

describe('checkpoints', () => {
  const root = rootOf([leafHash(Buffer.from('a')), leafHash(Buffer.from('b')), leafHash(Buffer.from('c'))]);

  it('formats the C2SP body and parses it back', () => {
    const body = formatCheckpoint({ origin: 'log.example/latch', size: 3, root });
    expect(body).toBe(`log.example/latch\n3\n${root.toString('base64')}\n`);
    expect(parseCheckpoint(body)).toEqual({ origin: 'log.example/latch', size: 3, root, extensions: [] });
  });

  it('keeps extension lines', () => {
    const body = formatCheckpoint({ origin: 'o', size: 0, root: rootOf([]), extensions: ['ext one', 'ext two'] });
    expect(body.split('\n')).toHaveLength(6);
    expect(parseCheckpoint(body).extensions).toEqual(['ext one', 'ext two']);
  });

  it('signs and opens a checkpoint end to end', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const body = formatCheckpoint({ origin: 'log.example/latch', size: 3, root });
    const note = signNote(body, 'log.example/latch', privateKey);
    const opened = openNote(note, [parseVerifierKey(verifierKey('log.example/latch', publicKey))]);
    expect(parseCheckpoint(opened.text).root).toEqual(root);
  });

  it('rejects malformed bodies', () => {
    const b64 = root.toString('base64');
    const bad = [
      `o\n3\n${b64}`, // no final newline
      `\n3\n${b64}\n`, // empty origin
      `o\n03\n${b64}\n`, // leading zero
      `o\n-1\n${b64}\n`,
      `o\n3.0\n${b64}\n`,
      `o\n 3\n${b64}\n`,
      `o\n99999999999999999999\n${b64}\n`, // beyond safe integer
      `o\n3\n${b64.slice(0, -4)}\n`, // short root
      `o\n3\n${b64.replace('=', '')}\n`, // unpadded
      `o\n3\n${Buffer.alloc(HASH_SIZE + 1).toString('base64')}\n`, // long root
      `o\n3\n`, // no root
      `o\n3\n${b64}\n\n`, // empty extension line
      `o\n3\n${b64}\nbad\textension\n`,
    ];
    for (const text of bad) expect(() => parseCheckpoint(text), JSON.stringify(text)).toThrow(CheckpointError);
  });

  it('refuses to format invalid checkpoints', () => {
    expect(() => formatCheckpoint({ origin: '', size: 1, root })).toThrow(CheckpointError);
    expect(() => formatCheckpoint({ origin: 'a\nb', size: 1, root })).toThrow(CheckpointError);
    expect(() => formatCheckpoint({ origin: 'o', size: -1, root })).toThrow(CheckpointError);
    expect(() => formatCheckpoint({ origin: 'o', size: 1.5, root })).toThrow(CheckpointError);
    expect(() => formatCheckpoint({ origin: 'o', size: 1, root: root.subarray(1) })).toThrow(CheckpointError);
    expect(() => formatCheckpoint({ origin: 'o', size: 1, root, extensions: [''] })).toThrow(CheckpointError);
  });
});
