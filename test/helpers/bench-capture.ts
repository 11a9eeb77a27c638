import { join } from 'node:path';
import { REPO } from './tools.js';

/** Writes `path`: `frames` frames of the benchmark's Docker host on three interfaces (bench/generate.mjs). */
export async function writeBenchCapture(path: string, frames: number): Promise<void> {
  const { generate } = (await import(join(REPO, 'bench', 'generate.mjs'))) as {
    generate: (o: { frames: number; interfaces: number; path: string }) => { frames: number };
  };
  generate({ frames, interfaces: 3, path });
}
