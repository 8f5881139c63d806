/**
 * The console's built files (`dist/ui/`, made by `npm run build`), read once into memory with a
 * gzip twin each: the whole app is a few hundred kilobytes, and a file read per request would put
 * disk latency in front of every page. Files under `assets/` carry a content hash in their name
 * (Vite names them so), so they are cached for a year and never revalidated; `index.html` names
 * the current hashes and is revalidated on every load, so a new version is picked up at once.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export interface StaticFile {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  etag: string;
  cacheControl: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Where `npm run build` puts the console: `dist/ui` beside `dist/src`. */
export function defaultUiDirectory(): string {
  return fileURLToPath(new URL('../../../ui/', import.meta.url));
}

/** The files of `dir` by URL path under `/ui/`; empty when the console was not built. */
export function loadStaticFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  let exists = false;
  try {
    exists = statSync(dir).isDirectory();
  } catch {
    exists = false;
  }
  if (!exists) return files;
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        const rel = relative(dir, path).split(sep).join('/');
        const body = readFileSync(path);
        const type = TYPES[extname(entry.name)] ?? 'application/octet-stream';
        const compressible = /^(text\/|image\/svg|application\/json)/.test(type) && body.length > 1024;
        files.set(`/ui/${rel}`, {
          body,
          gzip: compressible ? gzipSync(body, { level: 9 }) : null,
          type,
          etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
          cacheControl: rel.startsWith('assets/') ? IMMUTABLE : 'no-cache',
        });
      }
    }
  };
  walk(dir);
  return files;
}
