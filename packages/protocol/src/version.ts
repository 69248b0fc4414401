/** The protocol version this package speaks; a host refuses a plugin that answers another one. */
export const PROTOCOL_VERSION = '1';
