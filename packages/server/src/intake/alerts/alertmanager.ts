import { sha256Hex } from '@latch/core';
import { newAjv } from '../../http/ajv.js';

/** One alert of Prometheus Alertmanager's webhook (version 4). */
export interface Alert {
  readonly status: 'firing' | 'resolved';
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly endsAt?: string;
  readonly fingerprint?: string;
  readonly generatorURL?: string;
}

export interface AlertmanagerPayload {
  readonly version: '4';
  readonly status: string;
  readonly alerts: readonly Alert[];
}

const strings = { type: 'object', additionalProperties: { type: 'string', maxLength: 10_000 }, maxProperties: 200 } as const;
const payloadSchema = {
  type: 'object',
  required: ['version', 'status', 'alerts'],
  properties: {
    version: { const: '4' },
    status: { type: 'string', enum: ['firing', 'resolved'] },
    alerts: {
      type: 'array',
      minItems: 1,
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['status', 'labels', 'startsAt'],
        properties: {
          status: { type: 'string', enum: ['firing', 'resolved'] },
          labels: strings,
          annotations: strings,
          startsAt: { type: 'string', maxLength: 64 },
          endsAt: { type: 'string', maxLength: 64 },
          fingerprint: { type: 'string', minLength: 1, maxLength: 128 },
          generatorURL: { type: 'string', maxLength: 4000 },
        },
      },
    },
  },
} as const;
const validate = newAjv().compile(payloadSchema);

/** The payload, if it is Alertmanager's version 4 webhook; else a sentence saying what is wrong. */
export function parseAlertmanager(body: Buffer): AlertmanagerPayload | { readonly problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return { problem: 'The body is not JSON' };
  }
  if (!validate(value)) return { problem: `Not an Alertmanager version 4 payload: ${validate.errors?.map((e) => `${e.instancePath || '/'} ${e.message}`).slice(0, 3).join('; ')}` };
  const payload = value as unknown as AlertmanagerPayload;
  return { ...payload, alerts: payload.alerts.map((a) => ({ ...a, annotations: a.annotations ?? {} })) };
}

/** The alert's identity: Alertmanager's fingerprint, else a hash of its sorted labels (what Alertmanager fingerprints). */
export function fingerprintOf(alert: Alert): string {
  if (alert.fingerprint) return alert.fingerprint;
  const labels = Object.keys(alert.labels).sort().map((k) => [k, alert.labels[k]]);
  return sha256Hex(Buffer.from(JSON.stringify(labels), 'utf8')).slice(0, 16);
}
