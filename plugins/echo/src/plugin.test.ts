import { RpcErrorCode, testPlugin } from '@latch/plugin-sdk';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { plugin } from './plugin.js';

// What testing a plugin looks like: an in-memory host speaking the real protocol.
const host = testPlugin(plugin, { config: { greeting: 'Hi' }, secrets: { token: 't' } });
afterEach(() => host.logs.splice(0));
afterAll(() => host.close());

describe('echo plugin', () => {
  it('echoes its input, greeting in the summary', async () => {
    expect(await host.execute({ action: 'echo', input: { message: 'hello' } })).toEqual({ status: 'succeeded', summary: 'Hi: hello', output: { message: 'hello' } });
  });

  it('does nothing, successfully', async () => {
    expect(await host.execute({ action: 'noop', input: {} })).toEqual({ status: 'succeeded', summary: 'Did nothing' });
  });

  it('refuses input its schema does not allow', async () => {
    await expect(host.execute({ action: 'echo', input: { message: '' } })).rejects.toMatchObject({ code: RpcErrorCode.INVALID_INPUT });
  });

  it('requires the token secret', async () => {
    const unconfigured = testPlugin(plugin, { config: {}, secrets: {} });
    await expect(unconfigured.initialize()).rejects.toMatchObject({ code: RpcErrorCode.INVALID_PARAMS, message: 'missing required configuration: token' });
    await unconfigured.close();
  });
});
