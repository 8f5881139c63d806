/**
 * A small tmpfs, for tests that need a file system that really fills up. Mounting needs root (or
 * CAP_SYS_ADMIN): without it the tests skip loudly, and under CI (CI=true) they fail instead.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  dir: string;
  unmount(): void;
}

/** Mounts a tmpfs of `size` (e.g. "4m"); returns it, or the reason the tests are skipped. */
export function mountTmpfs(size: string): Tmpfs | { skip: string } {
  const dir = mkdtempSync(join(tmpdir(), 'openmnt-tmpfs-'));
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mount.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    const message = `cannot mount a tmpfs (needs root): ${(mount.stderr || mount.error?.message || '').trim()}; full-disk tests are SKIPPED`;
    if (process.env.CI === 'true') throw new Error(`CI: ${message.replace('SKIPPED', 'required under CI')}`);
    console.warn(`\n!!! ${message} !!!\n`);
    return { skip: message };
  }
  return {
    dir,
    unmount() {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes `path` until the file system is full; returns the bytes written. */
export function fillUp(path: string): number {
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    for (const size of [1 << 20, 1 << 16, 1 << 12, 1 << 9]) {
      const chunk = Buffer.alloc(size, 0x5a);
      for (;;) {
        try {
          written += writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}
