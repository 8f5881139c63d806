/**
 * STOMP 1.2 frames (stomp.github.io/stomp-specification-1.2.html) as carried in WebSocket messages:
 * a command line, `name:value` header lines, a blank line, the body, a NUL octet. One message may
 * hold several frames and heart-beats (a bare EOL) between them. Parsing never throws: a frame that
 * breaks the grammar comes back as a `StompSyntaxError` for the caller to answer with ERROR.
 */

export interface StompFrame {
  command: string;
  headers: Map<string, string>;
  body: Buffer;
}

export class StompSyntaxError {
  constructor(readonly message: string) {}
}

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
/** Commands a client may send (spec § Client Frames). */
export const CLIENT_COMMANDS = new Set(['CONNECT', 'STOMP', 'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK', 'BEGIN', 'COMMIT', 'ABORT', 'DISCONNECT']);

/** Every frame of one WebSocket message, in order; heart-beats are skipped. */
export function parseFrames(data: Buffer): (StompFrame | StompSyntaxError)[] {
  const out: (StompFrame | StompSyntaxError)[] = [];
  let at = 0;
  while (at < data.length) {
    // EOLs between frames are heart-beats (spec § Heart-beating); so may a trailing EOL after NUL be.
    if (data[at] === LF || (data[at] === CR && data[at + 1] === LF)) {
      at += data[at] === CR ? 2 : 1;
      continue;
    }
    const parsed = parseOne(data, at);
    if (parsed instanceof StompSyntaxError) {
      out.push(parsed);
      return out;
    }
    out.push(parsed.frame);
    at = parsed.next;
  }
  return out;
}

function readLine(data: Buffer, at: number): { line: string; next: number } | null {
  const lf = data.indexOf(LF, at);
  if (lf < 0) return null;
  const end = lf > at && data[lf - 1] === CR ? lf - 1 : lf;
  return { line: data.toString('utf8', at, end), next: lf + 1 };
}

function parseOne(data: Buffer, start: number): { frame: StompFrame; next: number } | StompSyntaxError {
  const first = readLine(data, start);
  if (first === null) return new StompSyntaxError('the frame has no end of line after its command');
  const command = first.line;
  if (!CLIENT_COMMANDS.has(command)) return new StompSyntaxError(`unknown command '${command.slice(0, 40)}'`);
  const headers = new Map<string, string>();
  // CONNECT headers are not escaped (spec § Value Encoding): only the others decode \c \n \r \\.
  const escaped = command !== 'CONNECT' && command !== 'STOMP';
  let at = first.next;
  for (;;) {
    const line = readLine(data, at);
    if (line === null) return new StompSyntaxError('the headers do not end with a blank line');
    at = line.next;
    if (line.line === '') break;
    const colon = line.line.indexOf(':');
    if (colon <= 0) return new StompSyntaxError(`header line '${line.line.slice(0, 40)}' has no name:value`);
    const name = escaped ? unescape(line.line.slice(0, colon)) : line.line.slice(0, colon);
    const value = escaped ? unescape(line.line.slice(colon + 1)) : line.line.slice(colon + 1);
    if (name === null || value === null) return new StompSyntaxError(`header line '${line.line.slice(0, 40)}' has an undefined escape`);
    // A repeated header: the first one counts (spec § Repeated Header Entries).
    if (!headers.has(name)) headers.set(name, value);
  }
  const length = headers.get('content-length');
  let end: number;
  if (length !== undefined) {
    if (!/^\d{1,9}$/.test(length)) return new StompSyntaxError(`content-length '${length.slice(0, 20)}' is not a number`);
    end = at + Number(length);
    if (end >= data.length || data[end] !== NUL) return new StompSyntaxError('the body is not followed by NUL where content-length says it ends');
  } else {
    end = data.indexOf(NUL, at);
    if (end < 0) return new StompSyntaxError('the frame does not end with a NUL octet');
  }
  return { frame: { command, headers, body: data.subarray(at, end) }, next: end + 1 };
}

function unescape(text: string): string | null {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = text[++i];
    if (n === 'c') out += ':';
    else if (n === 'n') out += '\n';
    else if (n === 'r') out += '\r';
    else if (n === '\\') out += '\\';
    else return null;
  }
  return out;
}

function escape(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/:/g, '\\c');
}

/** A server frame; `body` is written after a content-length header. */
export function serverFrame(command: string, headers: Record<string, string>, body = ''): Buffer {
  const bodyBytes = Buffer.from(body, 'utf8');
  let head = `${command}\n`;
  // CONNECTED headers are not escaped, as CONNECT's are not.
  for (const [name, value] of Object.entries(headers)) head += command === 'CONNECTED' ? `${name}:${value}\n` : `${escape(name)}:${escape(value)}\n`;
  if (bodyBytes.length > 0) head += `content-length:${bodyBytes.length}\n`;
  return Buffer.concat([Buffer.from(`${head}\n`, 'utf8'), bodyBytes, Buffer.from([NUL])]);
}
