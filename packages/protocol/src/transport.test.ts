import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { stdioTransport } from './stdio-transport.js';
import { memoryTransportPair } from './transport.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('memoryTransportPair', () => {
  it('delivers lines in order, asynchronously, and closes both ends once', async () => {
    const [a, b] = memoryTransportPair();
    const got: string[] = [];
    const closes: string[] = [];
    b.onLine((line) => got.push(line));
    a.onClose(() => closes.push('a'));
    b.onClose(() => closes.push('b'));
    a.send('one');
    a.send('two');
    expect(got).toEqual([]);
    a.close();
    a.close();
    await tick();
    expect(got).toEqual(['one', 'two']);
    expect(closes).toEqual(['a', 'b']);
    b.send('dropped');
    const late: (Error | undefined)[] = [];
    b.onClose((error) => late.push(error));
    await tick();
    expect(late).toEqual([undefined]);
  });

  it('refuses a line with a newline in it', () => {
    const [a] = memoryTransportPair();
    expect(() => a.send('a\nb')).toThrow(/newline/);
  });
});

describe('stdioTransport', () => {
  const setup = (maxLineBytes?: number) => {
    const input = new PassThrough();
    const output = new PassThrough();
    const transport = stdioTransport(input, output, maxLineBytes === undefined ? {} : { maxLineBytes });
    const lines: string[] = [];
    const closes: (Error | undefined)[] = [];
    transport.onLine((line) => lines.push(line));
    transport.onClose((error) => closes.push(error));
    return { input, output, transport, lines, closes };
  };

  it('frames lines across chunk boundaries, including a multi-byte character split in two', async () => {
    const { input, lines } = setup();
    const euro = Buffer.from('"€"\n{"b":2}\n\n{"c"');
    input.write(euro.subarray(0, 2)); // splits the 3-byte €
    input.write(euro.subarray(2));
    input.write(':3}\r\n');
    await tick();
    expect(lines).toEqual(['"€"', '{"b":2}', '{"c":3}\r']);
  });

  it('writes one line per send and ends the output on close', async () => {
    const { output, transport, closes } = setup();
    const written: string[] = [];
    output.on('data', (chunk: Buffer) => written.push(chunk.toString()));
    transport.send('{"a":1}');
    transport.close();
    transport.send('after close');
    await tick();
    expect(written.join('')).toBe('{"a":1}\n');
    expect(output.writableEnded).toBe(true);
    expect(closes).toEqual([undefined]);
  });

  it('closes when the input ends, dropping an unterminated last line', async () => {
    const { input, lines, closes } = setup();
    input.end('{"a":1}\n{"partial"');
    await tick();
    expect(lines).toEqual(['{"a":1}']);
    expect(closes).toEqual([undefined]);
  });

  it('closes with an error on a line over the limit, whether or not its newline has arrived', async () => {
    const first = setup(8);
    first.input.write('12345678\n123456789');
    await tick();
    expect(first.lines).toEqual(['12345678']);
    expect(first.closes[0]?.message).toMatch(/longer than 8 bytes/);

    const second = setup(8);
    second.input.write('1234');
    second.input.write('56789\n');
    await tick();
    expect(second.lines).toEqual([]);
    expect(second.closes).toHaveLength(1);
    expect(second.output.writableEnded).toBe(true);
  });

  it('enforces the protocol limit of 16 MiB by default', async () => {
    const { input, lines, closes } = setup();
    const limit = 16 * 1024 * 1024;
    input.write(`${'x'.repeat(limit)}\n`);
    await tick();
    expect(lines[0]?.length).toBe(limit);
    input.write('y'.repeat(limit + 1));
    await tick();
    expect(closes[0]?.message).toMatch(/longer than 16777216 bytes/);
  });

  it('closes with the stream error when the input breaks', async () => {
    const { input, closes } = setup();
    input.destroy(new Error('EPIPE'));
    await tick();
    expect(closes[0]?.message).toBe('EPIPE');
  });
});
