import { AddressInfo } from 'node:net';
import { SMTPServer, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';

export interface SmtpCredentials {
  user: string;
  pass: string;
}

export interface ReceivedMail {
  /** MAIL FROM and RCPT TO, as the client gave them. */
  envelope: { from: string; to: string[] };
  /** Who authenticated for this mail, if the peer asks for credentials. */
  user: string | undefined;
  /** Header fields by lower-case name, unfolded, encoded words decoded. */
  headers: Record<string, string>;
  /** The body with its transfer encoding undone and line ends as `\n`. */
  text: string;
}

/** A delivery held at the end of DATA until the test releases it. */
export interface HeldDelivery {
  /** Resolves once a message has arrived and is being held. */
  arrived: Promise<void>;
  release: () => void;
}

/**
 * A real SMTP server (the smtp-server package) on loopback, plain text, no STARTTLS. Given
 * credentials, it requires AUTH PLAIN or LOGIN with exactly those and refuses any other with
 * 535; without, it offers no AUTH. It can refuse recipients (550) and hold deliveries before
 * accepting them. It understands the single-part plain-text messages Gatehouse sends, not MIME
 * in general.
 */
export class SmtpPeer {
  readonly received: ReceivedMail[] = [];
  /** Recipients this peer answers 550 at RCPT TO, as a server that knows no such mailbox. */
  readonly refusedRecipients = new Set<string>();
  private server: SMTPServer | undefined;
  private port = 0;
  private held: { arrived: () => void; released: Promise<void> } | undefined;

  constructor(private readonly credentials?: SmtpCredentials) {}

  /** An smtp:// URL of this peer carrying the given credentials (its own by default). */
  url(credentials: SmtpCredentials | undefined = this.credentials): string {
    const url = new URL(`smtp://127.0.0.1:${this.port}`);
    if (credentials) {
      url.username = encodeURIComponent(credentials.user);
      url.password = encodeURIComponent(credentials.pass);
    }
    return url.toString();
  }

  /** Listens on `port`, or on the one it had before a `stop` (a server back from an outage). */
  async start(port = this.port): Promise<void> {
    const credentials = this.credentials;
    const server = new SMTPServer({
      logger: false,
      disabledCommands: credentials ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: !credentials,
      allowInsecureAuth: true,
      closeTimeout: 100,
      onAuth: (auth, _session, callback) => {
        if (auth.username === credentials?.user && auth.password === credentials?.pass) {
          callback(null, { user: auth.username });
        } else {
          callback(smtpError(535, 'Authentication credentials invalid'));
        }
      },
      onRcptTo: (recipient, _session, callback) => {
        callback(
          this.refusedRecipients.has(recipient.address)
            ? smtpError(550, 'No such mailbox here')
            : undefined,
        );
      },
      onData: (stream, session, callback) => {
        this.receive(stream, session).then(() => callback(), callback);
      },
    });
    // Clients that drop their connection are no failure of the peer.
    server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Holds the next deliveries at the end of DATA, unanswered, until released. */
  hold(): HeldDelivery {
    let arrived!: () => void;
    let release!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const held = { arrived, released };
    this.held = held;
    return {
      arrived: arrival,
      release: () => {
        if (this.held === held) this.held = undefined;
        release();
      },
    };
  }

  /** Stops listening; connections still open are closed after a moment. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const held = this.held;
    if (held) {
      held.arrived();
      await held.released;
    }
    const { mailFrom, rcptTo } = session.envelope;
    this.received.push({
      envelope: {
        from: mailFrom === false ? '' : mailFrom.address,
        to: rcptTo.map((r) => r.address),
      },
      user: session.user as string | undefined,
      ...parseMessage(Buffer.concat(chunks).toString('latin1')),
    });
  }
}

function smtpError(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}

/** Splits a single-part message into its header fields and decoded body. */
function parseMessage(raw: string): Pick<ReceivedMail, 'headers' | 'text'> {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, end).replace(/\r\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const field of head.split('\r\n')) {
    const colon = field.indexOf(':');
    headers[field.slice(0, colon).trim().toLowerCase()] = decodeWords(
      field.slice(colon + 1).trim(),
    );
  }
  const body = decodeBody(raw.slice(end + 4), headers['content-transfer-encoding']);
  return { headers, text: body.replace(/\r\n/g, '\n') };
}

function decodeBody(body: string, transferEncoding = '7bit'): string {
  switch (transferEncoding.toLowerCase()) {
    case 'base64':
      return Buffer.from(body, 'base64').toString('utf8');
    case 'quoted-printable':
      return decodeQuotedPrintable(body.replace(/=\r\n/g, ''));
    default:
      return Buffer.from(body, 'latin1').toString('utf8');
  }
}

function decodeQuotedPrintable(text: string): string {
  const bytes = text.replace(/=([0-9A-F]{2})/gi, (_match, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** RFC 2047 encoded words (UTF-8, as nodemailer writes them); whitespace between them goes. */
function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?utf-8\?([BQ])\?([^?]*)\?=/gi, (_match, kind: string, data: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    );
}
