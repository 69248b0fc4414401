import { expectCode } from './conformance-util.js';
import { RpcErrorCode } from './errors.js';
import type { Capabilities, WebhookParams } from './types.js';

// The check of the optional `webhooks` capability (docs/plugin-protocol.md, "webhook.receive").

/**
 * With `webhooks` offered: a delivery nobody signed (no signature header, a body that is not the
 * external system's) is refused with WEBHOOK_REFUSED, never taken as an event. A plugin that
 * accepts it would let anyone on the network advance an action.
 */
export async function checkWebhooks(capabilities: Capabilities | undefined, call: (params: WebhookParams) => Promise<unknown>): Promise<string> {
  if (!capabilities?.webhooks) return 'not offered';
  const forged = JSON.stringify({ id: 'evt_conformance', type: 'conformance.forged', data: { object: {} } });
  await expectCode(call({ headers: { 'content-type': 'application/json' }, body: forged }), RpcErrorCode.WEBHOOK_REFUSED);
  return `webhooks v${capabilities.webhooks.version}: an unsigned delivery is refused`;
}
