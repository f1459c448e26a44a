/**
 * Reads a body stream's bytes, stopping as soon as it grows past `max` bytes (then the stream is cancelled and the
 * answer is undefined). A declared length over `max` is refused before reading.
 */
export async function readBytesCapped(body: ReadableStream<Uint8Array> | null, declaredLength: string | null, max: number): Promise<Uint8Array | undefined> {
  const declared = Number(declaredLength ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    await body?.cancel().catch(() => {});
    return undefined;
  }
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks, size));
}

/** {@link readBytesCapped} as UTF-8 text. */
export async function readTextCapped(body: ReadableStream<Uint8Array> | null, declaredLength: string | null, max: number): Promise<string | undefined> {
  const bytes = await readBytesCapped(body, declaredLength, max);
  return bytes && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
