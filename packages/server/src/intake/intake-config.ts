import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Priority } from '@latch/core';
import { parse as parseYaml } from 'yaml';
import { newAjv } from '../http/ajv.js';
import { StartupError } from '../startup-error.js';
import { intakeFileSchema } from './intake-config-schema.js';

/** A secret's source, as in plugins.yaml: an environment variable or a file, never the YAML itself. */
export type SecretSource = { readonly env: string } | { readonly file: string };

/** Where an intake lands before routing rules: a case type, and optionally its queue and priority. */
export interface IntakeTarget {
  readonly type: string;
  readonly queue?: string;
  readonly priority?: Priority;
}

/** One routing rule: every condition given must match; `set` then overrides the target. */
export interface RoutingRule {
  readonly name: string;
  readonly when: {
    readonly channel?: string;
    readonly source?: string;
    readonly title?: RegExp;
    readonly body?: RegExp;
    readonly requester?: RegExp;
  };
  readonly set: { readonly type?: string; readonly queue?: string; readonly priority?: Priority; readonly assignee?: string };
}

export interface EmailLimits {
  /** The whole message, as SMTP's SIZE and the receiver's cut-off. */
  readonly maxMessageBytes: number;
  readonly maxAttachments: number;
  readonly maxAttachmentBytes: number;
  /** Messages one sender may send in an hour before the rest are quarantined (a flood). */
  readonly perSenderPerHour: number;
}

export interface ImapSettings {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly user: string;
  readonly password: SecretSource;
  readonly mailbox: string;
  readonly pollSeconds: number;
  /** The intake address the mailbox stands for (routing as for SMTP mail to it). */
  readonly address: string;
}

export interface EmailSettings {
  /** The name in the SMTP greeting. */
  readonly hostname: string;
  /** The domain of the Message-IDs Latch makes: mail carrying one of them is our own (a loop). */
  readonly messageIdDomain: string;
  /** The From of replies sent from a case (default: the first address). */
  readonly replyFrom: string | undefined;
  readonly tls: { readonly key: string; readonly cert: string } | undefined;
  readonly limits: EmailLimits;
  readonly imap: ImapSettings | undefined;
}

/** `<configDir>/intake.yaml`, checked at startup. */
export interface IntakeConfig {
  /** Intake addresses (lower case) and where their mail lands. */
  readonly addresses: ReadonlyMap<string, IntakeTarget>;
  readonly routes: readonly RoutingRule[];
  readonly email: EmailSettings;
  /** Form and alert sources, checked by their channels (intake/forms, intake/alerts). */
  readonly forms: Readonly<Record<string, unknown>>;
  readonly alerts: Readonly<Record<string, unknown>>;
  /** The file read, for messages about it (or undefined: no intake.yaml). */
  readonly file: string | undefined;
}

export const DEFAULT_EMAIL_LIMITS: EmailLimits = { maxMessageBytes: 25 * 1024 * 1024, maxAttachments: 20, maxAttachmentBytes: 10 * 1024 * 1024, perSenderPerHour: 30 };

const ajv = newAjv();
const validateFile = ajv.compile(intakeFileSchema);

/** Reads and checks intake.yaml; a missing file means no intake addresses, forms or alerts. */
export function loadIntakeConfig(configDir: string): IntakeConfig {
  const file = join(configDir, 'intake.yaml');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return parseIntakeConfig({}, undefined, configDir);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (error) {
    throw new StartupError(`${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  return parseIntakeConfig(raw, file, configDir);
}

/** Checks the parsed file's shape, then every regular expression, and resolves relative paths. */
export function parseIntakeConfig(raw: unknown, file: string | undefined, configDir: string): IntakeConfig {
  const where = file ?? 'intake.yaml';
  if (!validateFile(raw)) {
    const problems = (validateFile.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` ('${String(e.params.additionalProperty)}')` : ''}`);
    throw new StartupError(`${where}: ${problems.join('; ')}`);
  }
  const doc = raw as IntakeFile;
  const addresses = new Map(Object.entries(doc.addresses ?? {}).map(([address, target]) => [address.trim().toLowerCase(), target]));
  const routes = (doc.routes ?? []).map((rule, i): RoutingRule => {
    const regex = (key: 'title' | 'body' | 'requester') => {
      const source = rule.when[key];
      if (source === undefined) return undefined;
      try {
        return new RegExp(source, 'iu');
      } catch (error) {
        throw new StartupError(`${where}: /routes/${i}/when/${key} is not a valid regular expression: ${(error as Error).message}`);
      }
    };
    const when = { channel: rule.when.channel, source: rule.when.source?.toLowerCase(), title: regex('title'), body: regex('body'), requester: regex('requester') };
    return { name: rule.name, when: Object.fromEntries(Object.entries(when).filter(([, v]) => v !== undefined)), set: rule.set };
  });
  const email = doc.email ?? {};
  const firstAddress = [...addresses.keys()][0];
  const path = (p: string) => (isAbsolute(p) ? p : resolve(configDir, p));
  return {
    addresses,
    routes,
    email: {
      hostname: email.hostname ?? firstAddress?.split('@')[1] ?? 'localhost',
      messageIdDomain: email.messageIdDomain ?? firstAddress?.split('@')[1] ?? 'latch.localhost',
      replyFrom: email.replyFrom ?? firstAddress,
      tls: email.tls ? { key: path(email.tls.key.file), cert: path(email.tls.cert.file) } : undefined,
      limits: { ...DEFAULT_EMAIL_LIMITS, ...email.limits },
      imap: email.imap ? imapSettings(email.imap, addresses, where) : undefined,
    },
    forms: doc.forms ?? {},
    alerts: doc.alerts ?? {},
    file,
  };
}

function imapSettings(imap: NonNullable<NonNullable<IntakeFile['email']>['imap']>, addresses: ReadonlyMap<string, IntakeTarget>, where: string): ImapSettings {
  const address = imap.address.toLowerCase();
  if (!addresses.has(address)) throw new StartupError(`${where}: /email/imap/address '${imap.address}' is not one of the addresses`);
  return { port: imap.secure === false ? 143 : 993, secure: true, mailbox: 'INBOX', pollSeconds: 60, ...imap, address };
}

/** A secret's value (read at start); a missing one is reported by its source's name, never a value. */
export function readSecret(source: SecretSource, what: string): string {
  let value: string | undefined;
  if ('env' in source) value = process.env[source.env];
  else {
    try {
      value = readFileSync(source.file, 'utf8').trim();
    } catch {
      value = undefined;
    }
  }
  if (!value) throw new StartupError(`intake.yaml: ${what} is not set (${'env' in source ? `environment variable ${source.env}` : `file ${source.file}`})`);
  return value;
}

/** Checks that every case type, queue-less target and priority the file names exists (case types are loaded by then). */
export function checkIntakeTargets(config: IntakeConfig, knownTypes: ReadonlySet<string>): void {
  const where = config.file ?? 'intake.yaml';
  for (const [address, target] of config.addresses) {
    if (!knownTypes.has(target.type)) throw new StartupError(`${where}: /addresses/${address}/type '${target.type}' is not a known case type`);
  }
  config.routes.forEach((rule, i) => {
    if (rule.set.type !== undefined && !knownTypes.has(rule.set.type)) throw new StartupError(`${where}: /routes/${i}/set/type '${rule.set.type}' is not a known case type`);
  });
}

/** The file's shape as the schema admits it. */
interface IntakeFile {
  addresses?: Record<string, IntakeTarget>;
  routes?: { name: string; when: Record<'channel' | 'source' | 'title' | 'body' | 'requester', string | undefined>; set: RoutingRule['set'] }[];
  email?: {
    hostname?: string;
    messageIdDomain?: string;
    replyFrom?: string;
    tls?: { key: { file: string }; cert: { file: string } };
    limits?: Partial<EmailLimits>;
    imap?: { host: string; port?: number; secure?: boolean; user: string; password: SecretSource; mailbox?: string; pollSeconds?: number; address: string };
  };
  forms?: Record<string, unknown>;
  alerts?: Record<string, unknown>;
}
