/**
 * What every route handler gets: the request, its parsed URL, the answer format, the admin it was
 * authenticated as, and the ways to answer. Handlers never write status lines themselves; they
 * call `send`/`json`, stream with `write`, or throw an HttpError for the pipeline to answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OpenMntError } from '../errors.js';
import type { Admin } from './admins.js';
import { HttpError } from './errors.js';

export type Format = 'xml' | 'json';

export const XML_TYPE = 'application/xml;charset=UTF-8';
export const JSON_TYPE = 'application/json;charset=UTF-8';

export interface Context {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  method: string;
  format: Format;
  admin: Admin;
}

export function send(res: ServerResponse, format: Format, status: number, body: string, headers: Record<string, string> = {}): void {
  // Encoded once, here: a string body was measured for its length, then joined to the header text
  // and encoded again by the socket (into a buffer sized for three bytes a character). As a Buffer
  // it goes out beside the header the way the benchmark's floor answers do.
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'Content-Type': format === 'json' ? JSON_TYPE : XML_TYPE, 'Content-Length': bytes.length, ...headers });
  res.end(bytes);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, 'json', status, JSON.stringify(value), headers);
}

/** Writes with backpressure; resolves false when the client went away. */
export function write(res: ServerResponse, chunk: string | Uint8Array): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (res.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/**
 * Reads the body, counting the bytes that actually arrive: a chunked body declares no length, so
 * the limit is enforced on the stream itself, and reading stops at the first byte past it.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const body = await readBody(req, limit);
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new OpenMntError('INVALID_ARGUMENT', 'the body is not valid JSON');
  }
}

/**
 * Calls that take no body still must not accept an endless one: whatever arrives is counted and
 * thrown away, and past the limit the request fails with 413 (the connection is then closed).
 */
export async function discardBody(req: IncomingMessage, limit: number): Promise<void> {
  if (req.readableEnded) return;
  // The whole request has arrived (always, for a GET without a body): what is buffered is all there
  // is, so it is measured and dropped here, without an iterator and a turn of the loop per request.
  if (req.complete) {
    if (req.readableLength > limit) throw tooLarge(limit);
    req.resume();
    return;
  }
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
  }
}

export function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'REQUEST_TOO_LARGE', `this call takes no body larger than ${limit} bytes`);
}

/** Query parameters `page` and `size` (ours): null when neither is given. */
export function paging(url: URL, maxSize: number): { offset: number; size: number } | null {
  const page = url.searchParams.get('page');
  const size = url.searchParams.get('size');
  if (page === null && size === null) return null;
  const number = (value: string | null, name: string, fallback: number, max: number) => {
    if (value === null) return fallback;
    if (!/^\d{1,9}$/.test(value) || Number(value) < 1 || Number(value) > max) {
      throw new OpenMntError('INVALID_ARGUMENT', `query parameter ${name} '${value}' is not valid: a whole number from 1 to ${max}`);
    }
    return Number(value);
  };
  const p = number(page, 'page', 1, 1_000_000_000);
  const s = number(size, 'size', 100, maxSize);
  return { offset: (p - 1) * s, size: s };
}

/** Items serialised per slice of a streamed JSON list: small enough to keep each slice brief. */
const JSON_SLICE = 1000;

/**
 * Answers `{...head, [key]: items}` as JSON written a slice at a time, yielding to the event loop
 * between slices: a list of 100,000 endpoints is megabytes of JSON, and serialising (and, over
 * TLS, encrypting) it in one go would hold up everything else this thread does — RADIUS included.
 */
export async function streamJsonList(res: ServerResponse, status: number, head: Record<string, unknown>, key: string, items: readonly unknown[], headers: Record<string, string> = {}): Promise<void> {
  res.writeHead(status, { 'Content-Type': JSON_TYPE, ...headers });
  const opening = JSON.stringify({ ...head, [key]: [] });
  // `{"a":1,"key":[]}` → `{"a":1,"key":[` … `]}`
  if (!(await write(res, opening.slice(0, -2)))) return;
  for (let i = 0; i < items.length; i += JSON_SLICE) {
    const slice = JSON.stringify(items.slice(i, i + JSON_SLICE));
    if (!(await write(res, (i === 0 ? '' : ',') + slice.slice(1, -1)))) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  res.end(']}');
}
