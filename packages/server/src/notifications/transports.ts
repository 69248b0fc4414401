import { LogLevel, WebClient } from '@slack/web-api';
import nodemailer from 'nodemailer';
import type { NotifyConfig } from './notify-config.js';

/** The external channels, each present only when configured. */
export interface Transports {
  readonly email?: (to: string, subject: string, text: string) => Promise<void>;
  readonly slack?: (memberId: string, text: string) => Promise<void>;
  /** Sends a message composed elsewhere, byte for byte (replies to requesters, intake/replies/). */
  readonly rawEmail?: (envelope: { readonly from: string; readonly to: string }, message: Buffer) => Promise<void>;
  close(): void;
}

/** Opens nodemailer's SMTP transport and Slack's Web API client as the configuration says. Neither logs. */
export function openTransports(config: NotifyConfig): Transports {
  const smtp = config.smtpUrl
    ? nodemailer.createTransport({ url: config.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000, logger: false })
    : undefined;
  const slack = config.slackToken
    ? new WebClient(config.slackToken, {
        slackApiUrl: config.slackApiUrl,
        // Retries belong to the delivery job (with backoff, visible in the delivery log), never to the client.
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        timeout: 10_000,
        allowAbsoluteUrls: false,
        logLevel: LogLevel.ERROR,
      })
    : undefined;
  return {
    ...(smtp ? { email: async (to: string, subject: string, text: string) => void (await smtp.sendMail({ from: config.from, to, subject, text })) } : {}),
    ...(smtp ? { rawEmail: async (envelope: { from: string; to: string }, message: Buffer) => void (await smtp.sendMail({ envelope, raw: message })) } : {}),
    ...(slack ? { slack: async (memberId: string, text: string) => void (await slack.chat.postMessage({ channel: memberId, text, unfurl_links: false, unfurl_media: false })) } : {}),
    close: () => smtp?.close(),
  };
}

/**
 * What failed, as a short code for the delivery log: never the server's text, which can quote
 * the message or an address. nodemailer: `smtp:ECONNECTION`, `smtp:EENVELOPE 550`; Slack:
 * `slack:channel_not_found`, `slack:http_503`.
 */
export function failureCode(channel: string, error: unknown): string {
  const e = (error ?? {}) as { code?: unknown; responseCode?: unknown; data?: { error?: unknown }; statusCode?: unknown };
  let code: string;
  if (channel === 'slack') {
    code = typeof e.data?.error === 'string' ? e.data.error : typeof e.statusCode === 'number' ? `http_${e.statusCode}` : typeof e.code === 'string' ? e.code : 'error';
  } else {
    code = `${typeof e.code === 'string' ? e.code : 'error'}${typeof e.responseCode === 'number' ? ` ${e.responseCode}` : ''}`;
  }
  return `${channel === 'slack' ? 'slack' : 'smtp'}:${code.replace(/[^A-Za-z0-9_. -]/g, '').slice(0, 60)}`;
}
