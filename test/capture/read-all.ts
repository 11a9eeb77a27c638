import { openCapture, type CaptureFileInfo, type Frame } from '../../src/capture/index.js';

export interface ReadResult {
  frames: Frame[];
  /** Absent when the file could not even be opened. */
  info?: CaptureFileInfo;
  error?: unknown;
}

/** Every frame of a file in file order, and the error that ended it (opening included), if any. */
export async function readAll(path: string, chunkSize?: number): Promise<ReadResult> {
  let reader;
  try {
    reader = await openCapture(path, chunkSize === undefined ? {} : { chunkSize });
  } catch (error) {
    return { frames: [], error };
  }
  const frames: Frame[] = [];
  try {
    for await (const batch of reader.batches()) frames.push(...batch);
    return { frames, info: reader.info };
  } catch (error) {
    return { frames, info: reader.info, error };
  } finally {
    await reader.close();
  }
}

/** Runs `task` over `items` with at most `limit` at a time, keeping results in order. */
export async function inPool<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
