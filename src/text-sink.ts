/**
 * Where views write their text: one writer per format, two sinks. A `StringSink` makes a string
 * (one event for a filtered stream, one REST answer); a `ByteSink` encodes straight into one
 * growing buffer, for a batch of session events that fifty consumers share. And JSON strings
 * written without JSON.stringify's escaping pass where none is needed.
 *
 * Why the byte sink: `Buffer.from` of a batch built as one string (a few hundred events, some
 * 250 KB) took 2.3 µs an event on the main thread, several times what writing the same pieces
 * into a buffer one by one costs: V8 flattens the string first, then measures and encodes it.
 */

export interface TextSink {
  text(piece: string): void;
}

export class StringSink implements TextSink {
  value = '';

  text(piece: string): void {
    this.value += piece;
  }
}

export class ByteSink implements TextSink {
  #buffer: Buffer;
  #length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.#buffer = Buffer.allocUnsafeSlow(initialBytes);
  }

  text(piece: string): void {
    // A UTF-16 unit takes at most three bytes in UTF-8 (a surrogate pair, two units, takes four).
    const most = 3 * piece.length;
    if (this.#length + most > this.#buffer.length) this.#grow(this.#length + most);
    this.#length += this.#buffer.write(piece, this.#length, 'utf8');
  }

  /** What was written since the last take, as a buffer of its own; the sink starts over. */
  take(): Buffer {
    const bytes = Buffer.from(this.#buffer.subarray(0, this.#length));
    this.#length = 0;
    return bytes;
  }

  #grow(least: number): void {
    const bigger = Buffer.allocUnsafeSlow(Math.max(least, 2 * this.#buffer.length));
    this.#buffer.copy(bigger, 0, 0, this.#length);
    this.#buffer = bigger;
  }
}

/** Characters JSON.stringify would not write as they are in a string. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A value as JSON.stringify writes it; a plain string (most are) without its escaping pass. */
export function jsonValue(value: unknown): string {
  if (typeof value === 'string' && !NEEDS_ESCAPE.test(value)) return `"${value}"`;
  return JSON.stringify(value);
}
