/** The Slack plugin's settings, from `configure`. */
export interface SlackSettings {
  /** Base URL of the Web API, always ending in '/'. */
  readonly apiBase: string;
  readonly botToken: string;
  readonly defaultChannel: string | undefined;
}

/** A validated `post_message` input. */
export interface PostMessageInput {
  readonly channel: string;
  readonly text: string;
}

/** Configuration or input that can never work: the caller must fix it, so it is never retried. */
export class InvalidError extends Error {
  override readonly name = 'InvalidError';
}

export const DEFAULT_API_BASE = 'https://slack.com/api/';
export const MAX_TEXT_LENGTH = 3000;
// Channel IDs (C…, G…, D…), user IDs for DMs, or #names: Slack's names are lower-case letters, digits, - and _.
const CHANNEL = /^#?[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

/** Check `configure`'s config and secrets; throws InvalidError naming the problem (never the token). */
export function parseSlackSettings(config: Readonly<Record<string, unknown>>, secrets: Readonly<Record<string, unknown>>): SlackSettings {
  const botToken = secrets.botToken;
  if (typeof botToken !== 'string' || botToken.trim() === '') throw new InvalidError('botToken is required');
  if (/\s/.test(botToken)) throw new InvalidError('botToken must not contain whitespace');

  const rawBase = config.apiBase ?? DEFAULT_API_BASE;
  if (typeof rawBase !== 'string' || !URL.canParse(rawBase)) throw new InvalidError('apiBase must be an absolute URL');
  const base = new URL(rawBase);
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new InvalidError('apiBase must be an http(s) URL');
  if (base.username || base.password || base.search || base.hash) throw new InvalidError('apiBase must not carry credentials, a query or a fragment');
  const apiBase = base.href.endsWith('/') ? base.href : `${base.href}/`;

  const defaultChannel = config.defaultChannel;
  if (defaultChannel !== undefined && defaultChannel !== null && defaultChannel !== '') {
    if (typeof defaultChannel !== 'string' || !CHANNEL.test(defaultChannel)) throw new InvalidError('defaultChannel is not a channel ID or #name');
    return { apiBase, botToken, defaultChannel };
  }
  return { apiBase, botToken, defaultChannel: undefined };
}

/** Validate a `post_message` input against the manifest's rules, filling in the default channel. */
export function parsePostMessageInput(input: unknown, settings: SlackSettings): PostMessageInput {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new InvalidError('input must be an object');
  const { channel = settings.defaultChannel, text, ...rest } = input as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw new InvalidError(`unknown input field ${extra.map((k) => JSON.stringify(k)).join(', ')}`);
  if (typeof text !== 'string' || text.trim() === '') throw new InvalidError('text must be a non-empty string');
  // Counted in code points, as JSON Schema's maxLength is, so an emoji counts once.
  if ([...text].length > MAX_TEXT_LENGTH) throw new InvalidError(`text must be at most ${MAX_TEXT_LENGTH} characters`);
  if (channel === undefined) throw new InvalidError('channel is required: no defaultChannel is configured');
  if (typeof channel !== 'string' || !CHANNEL.test(channel)) throw new InvalidError('channel is not a channel ID or #name');
  return { channel, text };
}

/**
 * Escape the three characters Slack treats as control sequences, so operator text shows as written
 * and can form no `<!channel>`, `<@U…>` or `<https://…|label>` of its own.
 */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
