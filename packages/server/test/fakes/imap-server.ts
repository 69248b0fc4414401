import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A minimal IMAP4rev1 responder (RFC 3501) for one account and one mailbox: enough for what
 * imapflow sends to poll a mailbox (CAPABILITY, LOGIN or AUTHENTICATE PLAIN, ENABLE, ID, NAMESPACE,
 * LIST, SELECT/EXAMINE, [UID] SEARCH, [UID] FETCH with UID/FLAGS/BODY.PEEK[]/RFC822.SIZE/INTERNALDATE,
 * [UID] STORE ±FLAGS[.SILENT], NOOP, CLOSE/UNSELECT, LOGOUT). IDLE is not advertised and refused.
 * There is no maintained IMAP server library on npm, hence this fake.
 */

export interface FakeImapMessage {
  readonly uid: number;
  readonly raw: Buffer;
  readonly flags: Set<string>;
}

/** What the fake does when a STORE arrives: apply it, or drop the connection without applying it. */
export type StoreHook = (uids: readonly number[]) => Promise<'apply' | 'drop'>;

export interface FakeImapOptions {
  readonly user: string;
  readonly password: string;
  readonly mailbox?: string;
  readonly onStore?: StoreHook;
}

export interface FakeImapServer {
  readonly port: number;
  readonly messages: FakeImapMessage[];
  /** Every command received, as `COMMAND` or `UID COMMAND` (upper case), in order. */
  readonly commands: string[];
  /** Logins tried, and whether they were accepted (never the password). */
  readonly logins: { user: string; ok: boolean }[];
  add(raw: Buffer | string): FakeImapMessage;
  onStore: StoreHook | undefined;
  close(): Promise<void>;
}

type Token = string | Token[];

const CAPABILITIES = 'IMAP4rev1 AUTH=PLAIN';

export async function startFakeImapServer(options: FakeImapOptions): Promise<FakeImapServer> {
  const mailbox = options.mailbox ?? 'INBOX';
  const messages: FakeImapMessage[] = [];
  const commands: string[] = [];
  const logins: { user: string; ok: boolean }[] = [];
  const sockets = new Set<Socket>();
  let nextUid = 1;

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const session = new Session(socket, fake, options, mailbox);
    socket.write(`* OK [CAPABILITY ${CAPABILITIES}] Fake IMAP ready\r\n`);
    socket.on('data', (chunk: Buffer) => session.receive(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const fake: FakeImapServer = {
    port: (server.address() as AddressInfo).port,
    messages,
    commands,
    logins,
    onStore: options.onStore,
    add(raw) {
      const message = { uid: nextUid++, raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw.replace(/\r?\n/g, '\r\n')), flags: new Set<string>() };
      messages.push(message);
      return message;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return fake;
}

class Session {
  private buffer = Buffer.alloc(0);
  /** The command being read: its text so far and literals substituted as quoted tokens. */
  private pending: { text: string; literals: Buffer[] } | undefined;
  private literalBytes = 0;
  private authenticated = false;
  private selected = false;
  private continuation: ((line: string) => void) | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: Socket,
    private readonly fake: FakeImapServer,
    private readonly options: FakeImapOptions,
    private readonly mailbox: string,
  ) {}

  receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.literalBytes > 0) {
        if (this.buffer.length < this.literalBytes) return;
        this.pending!.literals.push(this.buffer.subarray(0, this.literalBytes));
        this.pending!.text += `\u0000${this.pending!.literals.length - 1}\u0000`;
        this.buffer = this.buffer.subarray(this.literalBytes);
        this.literalBytes = 0;
        continue;
      }
      const end = this.buffer.indexOf('\r\n');
      if (end < 0) return;
      const line = this.buffer.subarray(0, end).toString('utf8');
      this.buffer = this.buffer.subarray(end + 2);
      const literal = /\{(\d+)(\+?)\}$/.exec(line);
      const pending = this.pending ?? { text: '', literals: [] };
      if (literal) {
        pending.text += line.slice(0, literal.index);
        this.pending = pending;
        this.literalBytes = Number(literal[1]);
        if (!literal[2]) this.write('+ Ready for literal data');
        if (this.literalBytes === 0) this.pending.literals.push(Buffer.alloc(0));
        continue;
      }
      this.pending = undefined;
      const text = pending.text + line;
      if (this.continuation) {
        const next = this.continuation;
        this.continuation = undefined;
        next(text);
        continue;
      }
      this.queue = this.queue.then(() => this.command(text, pending.literals)).catch(() => void this.socket.destroy());
    }
  }

  private write(line: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(typeof line === 'string' ? `${line}\r\n` : line);
  }

  private async command(line: string, literals: Buffer[]): Promise<void> {
    const tokens = tokenize(line, literals);
    const tag = String(tokens[0] ?? '*');
    let name = String(tokens[1] ?? '').toUpperCase();
    let args = tokens.slice(2);
    let byUid = false;
    if (name === 'UID') {
      byUid = true;
      name = String(args[0] ?? '').toUpperCase();
      args = args.slice(1);
    }
    this.fake.commands.push(byUid ? `UID ${name}` : name);
    const ok = (text = `${name} completed`) => this.write(`${tag} OK ${text}`);
    const needsAuth = !['CAPABILITY', 'NOOP', 'LOGOUT', 'LOGIN', 'AUTHENTICATE', 'ID'].includes(name);
    if (needsAuth && !this.authenticated) return this.write(`${tag} NO Log in first`);
    const needsMailbox = ['SEARCH', 'FETCH', 'STORE', 'CLOSE', 'UNSELECT', 'EXPUNGE'].includes(name);
    if (needsMailbox && !this.selected) return this.write(`${tag} BAD No mailbox selected`);

    switch (name) {
      case 'CAPABILITY':
        this.write(`* CAPABILITY ${CAPABILITIES}`);
        return ok();
      case 'NOOP':
        if (this.selected) this.write(`* ${this.fake.messages.length} EXISTS`);
        return ok();
      case 'LOGIN':
        return this.login(tag, String(args[0] ?? ''), String(args[1] ?? ''));
      case 'AUTHENTICATE': {
        if (String(args[0]).toUpperCase() !== 'PLAIN') return this.write(`${tag} NO Unsupported mechanism`);
        const plain = (encoded: string) => {
          const [, user = '', pass = ''] = Buffer.from(encoded.trim(), 'base64').toString('utf8').split('\u0000');
          this.login(tag, user, pass);
        };
        if (args[1] !== undefined) return plain(String(args[1]));
        this.continuation = plain;
        return this.write('+ ');
      }
      case 'ENABLE':
        this.write('* ENABLED');
        return ok();
      case 'ID':
        this.write('* ID ("name" "fake-imap")');
        return ok();
      case 'NAMESPACE':
        this.write('* NAMESPACE (("" "/")) NIL NIL');
        return ok();
      case 'LIST':
      case 'LSUB':
        if (String(args[1] ?? '') === '') this.write(`* ${name} (\\Noselect) "/" ""`);
        else this.write(`* ${name} (\\HasNoChildren) "/" ${quote(this.mailbox)}`);
        return ok();
      case 'SELECT':
      case 'EXAMINE':
        return this.select(tag, name, String(args[0] ?? ''));
      case 'SEARCH':
        return this.search(tag, byUid, args);
      case 'FETCH':
        return this.fetch(tag, byUid, String(args[0] ?? ''), args[1] ?? []);
      case 'STORE':
        return this.store(tag, byUid, String(args[0] ?? ''), String(args[1] ?? ''), args[2] ?? []);
      case 'CLOSE':
      case 'UNSELECT':
        this.selected = false;
        return ok();
      case 'EXPUNGE':
        return ok();
      case 'LOGOUT':
        this.write('* BYE Logging out');
        ok();
        this.socket.end();
        return;
      default:
        return this.write(`${tag} BAD Unknown command ${name}`);
    }
  }

  private login(tag: string, user: string, password: string): void {
    const accepted = user === this.options.user && password === this.options.password;
    this.fake.logins.push({ user, ok: accepted });
    if (!accepted) return this.write(`${tag} NO [AUTHENTICATIONFAILED] Invalid credentials`);
    this.authenticated = true;
    this.write(`${tag} OK [CAPABILITY ${CAPABILITIES}] Logged in`);
  }

  private select(tag: string, name: string, requested: string): void {
    const same = requested.toUpperCase() === 'INBOX' ? this.mailbox.toUpperCase() === 'INBOX' : requested === this.mailbox;
    if (!same) {
      this.selected = false;
      return this.write(`${tag} NO [NONEXISTENT] No such mailbox`);
    }
    this.selected = true;
    const messages = this.fake.messages;
    this.write('* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)');
    this.write('* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted');
    this.write(`* ${messages.length} EXISTS`);
    this.write('* 0 RECENT');
    this.write('* OK [UIDVALIDITY 1] UIDs valid');
    this.write(`* OK [UIDNEXT ${(messages.at(-1)?.uid ?? 0) + 1}] Predicted next UID`);
    this.write(`${tag} OK [${name === 'EXAMINE' ? 'READ-ONLY' : 'READ-WRITE'}] ${name} completed`);
  }

  private search(tag: string, byUid: boolean, criteria: Token[]): void {
    const keys = flatten(criteria).map((c) => c.toUpperCase());
    const matches = this.fake.messages
      .map((message, index) => ({ message, seq: index + 1 }))
      .filter(({ message }) => {
        let negate = false;
        for (const key of keys) {
          if (key === 'NOT') {
            negate = true;
            continue;
          }
          let hit = true;
          if (key === 'UNSEEN') hit = !message.flags.has('\\Seen');
          else if (key === 'SEEN') hit = message.flags.has('\\Seen');
          if (hit === negate) return false;
          negate = false;
        }
        return true;
      });
    this.write(`* SEARCH${matches.map(({ message, seq }) => ` ${byUid ? message.uid : seq}`).join('')}`);
    this.write(`${tag} OK SEARCH completed`);
  }

  private pick(byUid: boolean, set: string): { message: FakeImapMessage; seq: number }[] {
    const all = this.fake.messages.map((message, index) => ({ message, seq: index + 1 }));
    const max = byUid ? (all.at(-1)?.message.uid ?? 0) : all.length;
    const ranges = set.split(',').map((part) => {
      const [from, to = from] = part.split(':').map((n) => (n === '*' ? max : Number(n)));
      return [Math.min(from!, to!), Math.max(from!, to!)] as const;
    });
    return all.filter(({ message, seq }) => ranges.some(([lo, hi]) => (byUid ? message.uid : seq) >= lo && (byUid ? message.uid : seq) <= hi));
  }

  private fetch(tag: string, byUid: boolean, set: string, items: Token): void {
    const wanted = (Array.isArray(items) ? items : [items]).map((i) => String(i).toUpperCase());
    for (const { message, seq } of this.pick(byUid, set)) {
      const parts: (string | Buffer)[] = [];
      if (byUid || wanted.includes('UID')) parts.push(`UID ${message.uid}`);
      for (const item of wanted) {
        if (item === 'FLAGS') parts.push(`FLAGS (${[...message.flags].join(' ')})`);
        else if (item === 'RFC822.SIZE') parts.push(`RFC822.SIZE ${message.raw.length}`);
        else if (item === 'INTERNALDATE') parts.push('INTERNALDATE "01-Jan-2025 00:00:00 +0000"');
        else if (item === 'BODY[]' || item === 'BODY.PEEK[]') {
          parts.push(Buffer.concat([Buffer.from(`BODY[] {${message.raw.length}}\r\n`), message.raw]));
          if (item === 'BODY[]') message.flags.add('\\Seen');
        }
      }
      const chunks = parts.flatMap((part, i) => (i === 0 ? [part] : [' ', part]));
      this.write(Buffer.concat([Buffer.from(`* ${seq} FETCH (`), ...chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)), Buffer.from(')\r\n')]));
    }
    this.write(`${tag} OK FETCH completed`);
  }

  private async store(tag: string, byUid: boolean, set: string, operation: string, flags: Token): Promise<void> {
    const picked = this.pick(byUid, set);
    const decision = this.fake.onStore ? await this.fake.onStore(picked.map((p) => p.message.uid)) : 'apply';
    if (decision === 'drop') {
      this.socket.destroy();
      return;
    }
    const names = (Array.isArray(flags) ? flags : [flags]).map(String);
    const op = operation.toUpperCase();
    for (const { message, seq } of picked) {
      if (op.startsWith('+')) names.forEach((f) => message.flags.add(f));
      else if (op.startsWith('-')) names.forEach((f) => message.flags.delete(f));
      else {
        message.flags.clear();
        names.forEach((f) => message.flags.add(f));
      }
      if (!op.endsWith('.SILENT')) this.write(`* ${seq} FETCH (UID ${message.uid} FLAGS (${[...message.flags].join(' ')}))`);
    }
    this.write(`${tag} OK STORE completed`);
  }
}

function flatten(tokens: Token[]): string[] {
  return tokens.flatMap((t) => (Array.isArray(t) ? flatten(t) : [t]));
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Splits a command into atoms, quoted strings, literals and parenthesised lists (BODY.PEEK[...] stays one atom). */
function tokenize(line: string, literals: Buffer[]): Token[] {
  const root: Token[] = [];
  const stack: Token[][] = [root];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    const top = stack.at(-1)!;
    if (c === ' ') i++;
    else if (c === '(') {
      const list: Token[] = [];
      top.push(list);
      stack.push(list);
      i++;
    } else if (c === ')') {
      if (stack.length > 1) stack.pop();
      i++;
    } else if (c === '"') {
      let value = '';
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\') i++;
        value += line[i++] ?? '';
      }
      i++;
      top.push(value);
    } else if (c === '\u0000') {
      const close = line.indexOf('\u0000', i + 1);
      top.push(literals[Number(line.slice(i + 1, close))]!.toString('utf8'));
      i = close + 1;
    } else {
      let value = '';
      let depth = 0;
      while (i < line.length && (depth > 0 || !' ()'.includes(line[i]!))) {
        if (line[i] === '[') depth++;
        if (line[i] === ']') depth--;
        value += line[i++];
      }
      top.push(value);
    }
  }
  return root;
}
