import { openCapture, mergeCaptures, type CaptureReader } from '../capture/index.js';
import type { Frame } from '../capture/frame.js';
import { readFile } from 'node:fs/promises';
import { CaptureError } from '../capture/errors.js';
import { CliError, EXIT_BAD_INPUT } from './exit.js';
import { Progress } from './progress.js';

/**
 * Opens every file (each failure to open is exit 2 naming the file) and yields their frames merged
 * in time order. A file that breaks part-way has its earlier frames delivered; the error is thrown
 * once everything readable has been yielded, as the capture stage promises.
 */
export async function openAll(files: string[]): Promise<CaptureReader[]> {
  const readers: CaptureReader[] = [];
  try {
    for (const file of files) {
      try {
        readers.push(await openCapture(file));
      } catch (err) {
        // A read from a directory's handle fails with EISDIR but names no path: name it here.
        const e = err as NodeJS.ErrnoException;
        if (e && typeof e.code === 'string' && e.path === undefined) e.path = file;
        throw err;
      }
    }
  } catch (err) {
    await Promise.all(readers.map((r) => r.close()));
    throw asCliError(err);
  }
  return readers;
}

export async function* mergedFrames(readers: CaptureReader[]): AsyncGenerator<Frame[]> {
  try {
    yield* mergeCaptures(readers);
  } finally {
    await Promise.all(readers.map((r) => r.close()));
  }
}

export function asCliError(err: unknown): unknown {
  if (err instanceof CaptureError) return new CliError(err.message, EXIT_BAD_INPUT);
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && typeof e.path === 'string') {
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : e.code;
    return new CliError(`${e.path}: ${why}`, EXIT_BAD_INPUT);
  }
  return err;
}

/** A text file the user named (a scenario, a topology), its failure to open as a CliError. */
export async function readInputText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw asCliError(err);
  }
}

/**
 * Passes the batches through, drawing the progress bar on stderr (a terminal only, never with
 * --quiet) from the bytes the readers have parsed of their files' total. The bar is cleared when the
 * frames end, however they end.
 */
export async function* withProgress(batches: AsyncIterable<Frame[]>, readers: CaptureReader[], quiet: boolean | undefined): AsyncGenerator<Frame[]> {
  const progress = Progress.forStderr({ quiet, totalBytes: readers.reduce((n, r) => n + r.size, 0) });
  if (!progress) {
    yield* batches;
    return;
  }
  let frames = 0;
  try {
    for await (const batch of batches) {
      frames += batch.length;
      let bytes = 0;
      for (const r of readers) bytes += r.bytesRead;
      progress.update(bytes, frames);
      yield batch;
    }
  } finally {
    progress.done();
  }
}
