/**
 * ActiveList read as a stream. ISE answers `Session/ActiveList` with every session in one XML
 * document — hundreds of megabytes on a large deployment — so parsing the whole text (as a DOM
 * parser must) costs memory in proportion to the list. The list is flat: a root, then one
 * `activeSession` element per session whose children are plain text fields. A SAX parser fed the
 * response chunk by chunk hands over each session as soon as its closing tag arrives; memory stays
 * that of one chunk and the rows not yet printed.
 */
import { SaxesParser } from 'saxes';

export type SessionFields = Record<string, string>;

/** Elements that hold a list of sessions: `activeList` (current ISE), `activeSessionList` (older and legacy prefixes). */
const LIST_ROOTS = new Set(['activeList', 'activeSessionList']);

export class ActiveListReader {
  readonly #parser = new SaxesParser();
  /** Sessions completed by the chunks fed so far and not yet taken. */
  #ready: SessionFields[] = [];
  #depth = 0;
  #rootSeen = false;
  #session: SessionFields | null = null;
  #field: string | null = null;
  #text = '';

  constructor() {
    const p = this.#parser;
    p.on('opentag', (tag) => {
      this.#depth++;
      if (this.#depth === 1) {
        if (!LIST_ROOTS.has(tag.name)) throw new Error(`expected an activeList, got <${tag.name}>`);
        this.#rootSeen = true;
      } else if (this.#depth === 2 && tag.name === 'activeSession') {
        this.#session = {};
      } else if (this.#depth === 3 && this.#session !== null) {
        this.#field = tag.name;
        this.#text = '';
      }
    });
    p.on('text', (t) => {
      if (this.#field !== null) this.#text += t;
    });
    p.on('cdata', (t) => {
      if (this.#field !== null) this.#text += t;
    });
    p.on('closetag', () => {
      if (this.#depth === 3 && this.#field !== null && this.#session !== null) {
        this.#session[this.#field] = this.#text;
        this.#field = null;
      } else if (this.#depth === 2 && this.#session !== null) {
        this.#ready.push(this.#session);
        this.#session = null;
      }
      this.#depth--;
    });
    p.on('error', (e) => {
      throw e;
    });
  }

  /** Feeds a chunk of the answer; returns the sessions it completed. Throws on malformed XML. */
  write(chunk: string): SessionFields[] {
    this.#parser.write(chunk);
    const out = this.#ready;
    this.#ready = [];
    return out;
  }

  /** The answer has ended: throws when it was cut short or had no list root. */
  close(): SessionFields[] {
    this.#parser.close();
    if (!this.#rootSeen) throw new Error('the answer held no activeList');
    const out = this.#ready;
    this.#ready = [];
    return out;
  }
}
