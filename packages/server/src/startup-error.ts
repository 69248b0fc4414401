/** A clear, expected reason Latch can't start; the CLI prints the message alone, no stack (and its stable code, when it has one). */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}
