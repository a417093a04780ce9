// Disks for storage faults: a server directory on a small filesystem of its own.
//
// Full: the directory is a tmpfs of a few MiB; fill() writes a file until ENOSPC, free()
// deletes it.
//
// Read-only: remounting a tmpfs read-only is refused (EBUSY) while a process holds a file
// on it open for writing, which a running server always does, so `mount -o remount,ro`
// cannot fault a live server. The directory is instead an ext4 filesystem (an image on a
// tmpfs, through a loop device) mounted with errors=remount-ro; failReadOnly() raises an
// ext4 error through /sys/fs/ext4/<dev>/trigger_fs_error, and the kernel remounts it
// read-only under the running server, as it does when a real disk starts failing: every
// later write, even on files already open, gets EROFS. repair() unmounts, runs e2fsck and
// mounts it writable again.

import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { onCleanup, sh } from './run.ts';

export interface FillableDisk {
  readonly dir: string;
  /** Writes a file until the filesystem is full; returns the bytes written. */
  fill(): number;
  /** Deletes that file. */
  free(): void;
  unmount(): void;
}

export function mountTmpfs(dir: string, sizeBytes: number): FillableDisk {
  mkdirSync(dir, { recursive: true });
  sh(['mount', '-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', dir]);
  const filler = join(dir, 'filler');
  const unmount = onCleanup(`tmpfs ${dir}`, () => sh(['umount', '-l', dir], { allowFail: true }));
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      const chunk = new Uint8Array(64 * 1024).fill(0x5a);
      let written = 0;
      try {
        for (;;) {
          const length = chunk.length;
          try {
            written += writeSync(fd, chunk, 0, length);
          } catch (error) {
            if ((error as { code?: string }).code === 'ENOSPC') break;
            throw error;
          }
        }
        // The last pages: smaller writes until not even one byte fits.
        for (let size = 32 * 1024; size >= 1; size = Math.floor(size / 2)) {
          try {
            for (;;) written += writeSync(fd, chunk, 0, size);
          } catch (error) {
            if ((error as { code?: string }).code !== 'ENOSPC') throw error;
          }
        }
      } finally {
        closeSync(fd);
      }
      return written;
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount: () => unmount.undo(),
  };
}

export interface FailingDisk {
  readonly dir: string;
  /** The kernel remounts the filesystem read-only under whoever uses it. */
  failReadOnly(): void;
  /** Whether a write there fails with EROFS now. */
  readOnly(): boolean;
  /** Unmount (nobody may use it), e2fsck, mount writable again. */
  repair(): void;
  unmount(): void;
}

export function mountExt4(dir: string, imageDir: string, sizeBytes: number): FailingDisk {
  mkdirSync(imageDir, { recursive: true });
  mkdirSync(dir, { recursive: true });
  sh(['mount', '-t', 'tmpfs', '-o', `size=${sizeBytes + 1024 * 1024},mode=0700`, 'tmpfs', imageDir]);
  const releaseImageDir = onCleanup(`tmpfs ${imageDir}`, () => sh(['umount', '-l', imageDir], { allowFail: true }));
  const image = join(imageDir, 'disk.ext4');
  sh(['truncate', '-s', String(sizeBytes), image]);
  sh(['mkfs.ext4', '-q', '-F', '-m', '0', image]);
  const device = sh(['losetup', '--find', '--show', image]).stdout.trim();
  const releaseDevice = onCleanup(`loop device ${device}`, () => sh(['losetup', '-d', device], { allowFail: true }));
  const mount = () => sh(['mount', '-t', 'ext4', '-o', 'errors=remount-ro', device, dir]);
  mount();
  const releaseMount = onCleanup(`ext4 ${dir}`, () => sh(['umount', '-l', dir], { allowFail: true }));
  rmSync(join(dir, 'lost+found'), { recursive: true, force: true });
  return {
    dir,
    failReadOnly() {
      sh(['sh', '-c', `echo 'scryp fault suite: read-only from here' > /sys/fs/ext4/${basename(device)}/trigger_fs_error`]);
    },
    readOnly() {
      // ext4 marks an emergency read-only remount as "emergency_ro", not always as "ro": ask it by writing.
      const probe = join(dir, '.write-probe');
      try {
        closeSync(openSync(probe, 'w'));
        rmSync(probe, { force: true });
        return false;
      } catch (error) {
        if ((error as { code?: string }).code === 'EROFS') return true;
        throw error;
      }
    },
    repair() {
      sh(['umount', dir]);
      // 1: errors corrected; 0: none. Both leave a clean filesystem.
      const check = sh(['e2fsck', '-f', '-y', image], { allowFail: true });
      if (check.code > 1) throw new Error(`e2fsck exited ${check.code}: ${check.stdout}${check.stderr}`);
      mount();
    },
    unmount() {
      releaseMount.undo();
      releaseDevice.undo();
      releaseImageDir.undo();
    },
  };
}
