/**
 * Output locations, checked before the work that fills them: a lab run or a long analysis should not
 * end in an unwritable path. A bad path is a usage error (exit 1) with one line naming it.
 */
import { access, mkdir, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliError, EXIT_USAGE } from './exit.js';

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return 'no such directory';
    case 'EEXIST':
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    default:
      return e.message ?? String(err);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** `-o DIR/`: a directory that gets one capture per host (`emulate`, `lab`). */
export function isPerHostOutput(path: string): boolean {
  return path.endsWith('/');
}

/** A file the command will create or replace: its directory must exist and be writable. */
export async function checkOutputFile(path: string, what: string): Promise<void> {
  if (path === '-') return;
  if (await isDirectory(path)) throw new CliError(`${what} ${path}: is a directory, not a file`, EXIT_USAGE);
  const dir = dirname(resolve(path));
  try {
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' });
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new CliError(`${what} ${path}: cannot be written: ${reason(err)}`, EXIT_USAGE);
  }
}

/**
 * Creates a directory and its missing parents, one level at a time: Node 20's own
 * `mkdir({ recursive: true })` never returns for some paths (under /proc, for one).
 */
export async function makeOutputDir(path: string, what: string): Promise<void> {
  const full = resolve(path);
  const missing: string[] = [];
  let at = full;
  while (!(await isDirectory(at))) {
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  try {
    for (const dir of missing.reverse()) {
      try {
        await mkdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !(await isDirectory(dir))) throw err;
      }
    }
    await access(full, constants.W_OK);
  } catch (err) {
    throw new CliError(`${what} ${path}: cannot be created: ${reason(err)}`, EXIT_USAGE);
  }
}
