import { createInterface } from 'node:readline/promises';
import { CliError } from './cli-error.js';

/** Reads a secret from the terminal without echoing it (raw mode: no line editing beyond backspace). */
export function askHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new CliError('no terminal to ask for the password on: pipe it with --password-stdin');
  // Raw mode (no echo) before the question: an answer typed the moment it appears is never echoed.
  stdin.setRawMode(true);
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          return resolve(value);
        }
        if (ch === '\u0003') {
          finish();
          return reject(new CliError('cancelled', 130));
        }
        value = ch === '\u007f' || ch === '\b' ? [...value].slice(0, -1).join('') : value + ch;
      }
    };
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
  });
}

/**
 * Asks a yes/no question on the terminal (the question goes to standard error, so --json output
 * stays clean). Without a terminal nothing can be asked: the caller must have said --yes.
 */
export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new CliError('no terminal to confirm on: pass --yes to proceed without asking');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^(y|yes)$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
