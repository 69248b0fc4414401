import { inertJson } from '@latch/core/inert-text';
import type { Command } from 'commander';

/** Adds --json: the command prints one JSON document on standard output and nothing else there. */
export function withJson(command: Command, what = 'print JSON instead of text (stable field names, for scripts)'): Command {
  return command.option('--json', what);
}

/** JSON on standard output, with the characters that could change what a terminal shows escaped (inertJson: the same JSON value). */
export const printJson = (value: unknown) => console.log(inertJson(value, 2));

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR;
}

/** Red bold text, when colour is on; the words themselves must carry the meaning without it. */
export const alarm = (text: string, colour = useColour()) => (colour ? `\u001b[1;31m${text}\u001b[0m` : text);

/** Strips control characters and bidirectional overrides from server-provided text, so a note or name cannot move the cursor, recolour the terminal or reorder a line. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const inert = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, ' ');
