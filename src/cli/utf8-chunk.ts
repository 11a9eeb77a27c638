/**
 * Text parts encoded as UTF-8 into one buffer, each straight to its place: joining them into one
 * string first and encoding that copied every byte twice, which for a million-frame document is
 * gigabytes. `bytes`, when the caller has counted them already, saves counting again; `into`, a
 * buffer of at least that many bytes, is written instead of a new one (the chunk is its start).
 */
export function utf8Chunk(parts: readonly string[], bytes?: number, into?: Buffer): Buffer {
  let total = bytes ?? 0;
  if (bytes === undefined) for (const p of parts) total += Buffer.byteLength(p);
  const chunk = into !== undefined && into.length >= total ? into.subarray(0, total) : Buffer.allocUnsafe(total);
  let at = 0;
  for (const p of parts) at += chunk.write(p, at);
  return chunk;
}
