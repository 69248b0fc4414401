/** A clear, expected reason Latch can't start; the CLI prints the message alone, no stack. */
export class StartupError extends Error {}
