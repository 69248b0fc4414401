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

  it('describes the case it is asked about, for any case type', async () => {
    expect(await host.context({ caseId: 'c-7', caseType: 'refund', fields: {} })).toEqual({
      facts: [
        { label: 'Case', value: 'c-7', kind: 'id' },
        { label: 'Case type', value: 'refund' },
        { label: 'Fields shared', value: '0' },
      ],
      summary: 'Hi: a refund case',
      fetchedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) as string,
    });
  });

  it('requires the token secret', async () => {
    const unconfigured = testPlugin(plugin, { config: {}, secrets: {} });
    await expect(unconfigured.initialize()).rejects.toMatchObject({ code: RpcErrorCode.INVALID_PARAMS, message: 'missing required configuration: token' });
    await unconfigured.close();
  });
});
