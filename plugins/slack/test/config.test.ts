import { describe, expect, it } from 'vitest';
import { DEFAULT_API_BASE, escapeSlackText, InvalidError, parsePostMessageInput, parseSlackSettings } from '../src/config.js';

const TOKEN = 'xoxb-1-secret';

describe('parseSlackSettings', () => {
  it('requires the bot token and never echoes it', () => {
    expect(() => parseSlackSettings({}, {})).toThrow(InvalidError);
    expect(() => parseSlackSettings({}, { botToken: '  ' })).toThrow('botToken is required');
    expect(() => parseSlackSettings({}, { botToken: 'xoxb-a b' })).toThrow(/^botToken must not contain whitespace$/);
  });

  it('defaults and normalises apiBase', () => {
    expect(parseSlackSettings({}, { botToken: TOKEN })).toEqual({ apiBase: DEFAULT_API_BASE, botToken: TOKEN, defaultChannel: undefined });
    expect(parseSlackSettings({ apiBase: 'http://127.0.0.1:9/api' }, { botToken: TOKEN }).apiBase).toBe('http://127.0.0.1:9/api/');
    expect(() => parseSlackSettings({ apiBase: 'ftp://x/' }, { botToken: TOKEN })).toThrow('http(s)');
    expect(() => parseSlackSettings({ apiBase: 'not a url' }, { botToken: TOKEN })).toThrow('absolute URL');
    expect(() => parseSlackSettings({ apiBase: 'https://u:p@slack.com/api/' }, { botToken: TOKEN })).toThrow('credentials');
  });

  it('checks the default channel', () => {
    expect(parseSlackSettings({ defaultChannel: '#ops' }, { botToken: TOKEN }).defaultChannel).toBe('#ops');
    expect(parseSlackSettings({ defaultChannel: '' }, { botToken: TOKEN }).defaultChannel).toBeUndefined();
    expect(() => parseSlackSettings({ defaultChannel: '#a b' }, { botToken: TOKEN })).toThrow('defaultChannel');
  });
});

describe('parsePostMessageInput', () => {
  const settings = parseSlackSettings({ defaultChannel: 'C0DEFAULT1' }, { botToken: TOKEN });
  const noDefault = parseSlackSettings({}, { botToken: TOKEN });

  it('fills in the default channel', () => {
    expect(parsePostMessageInput({ text: 'hi' }, settings)).toEqual({ channel: 'C0DEFAULT1', text: 'hi' });
    expect(parsePostMessageInput({ channel: '#ops', text: 'hi' }, settings)).toEqual({ channel: '#ops', text: 'hi' });
    expect(() => parsePostMessageInput({ text: 'hi' }, noDefault)).toThrow('no defaultChannel');
  });

  it('accepts 1 to 3000 characters of text', () => {
    expect(parsePostMessageInput({ text: 'x'.repeat(3000) }, settings).text).toHaveLength(3000);
    expect(() => parsePostMessageInput({ text: 'x'.repeat(3001) }, settings)).toThrow('at most 3000');
    expect(parsePostMessageInput({ text: '🚀'.repeat(3000) }, settings).text).toHaveLength(6000);
    expect(() => parsePostMessageInput({ text: '' }, settings)).toThrow('non-empty');
    expect(() => parsePostMessageInput({ text: ' \n ' }, settings)).toThrow('non-empty');
    expect(() => parsePostMessageInput({ text: 42 }, settings)).toThrow('non-empty');
  });

  it('refuses other shapes and fields', () => {
    expect(() => parsePostMessageInput(null, settings)).toThrow('object');
    expect(() => parsePostMessageInput(['x'], settings)).toThrow('object');
    expect(() => parsePostMessageInput({ text: 'x', blocks: [] }, settings)).toThrow('"blocks"');
    expect(() => parsePostMessageInput({ text: 'x', channel: 'https://evil' }, settings)).toThrow('channel');
  });
});

describe('escapeSlackText', () => {
  it('neutralises mentions, links and entities', () => {
    expect(escapeSlackText('<!channel> see <https://evil.example|docs> & <@U123>')).toBe(
      '&lt;!channel&gt; see &lt;https://evil.example|docs&gt; &amp; &lt;@U123&gt;',
    );
    // Already-escaped text stays as typed, rather than turning into the character it names.
    expect(escapeSlackText('&lt;')).toBe('&amp;lt;');
    expect(escapeSlackText('plain @channel *bold*')).toBe('plain @channel *bold*');
  });
});
