/** An expected failure the CLI reports as one line, with its own exit code (and the API's stable code when it refused). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly code?: string,
  ) {
    super(message);
  }
}
