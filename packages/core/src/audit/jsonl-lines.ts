/**
 * The largest entry we read: twice the largest request body the gateway can be configured to
 * accept (16 MiB), which bounds what one event can carry. A longer line is refused rather than
 * buffered without limit (an export is attacker-controlled input).
 */
export const MAX_ENTRY_BYTES = 32 * 1024 * 1024;

/**
 * Splits a byte stream (e.g. `fs.createReadStream('entries.jsonl')`) into lines, without their
 * `\n`, in batches: one batch per chunk read, so the caller pays one await per chunk rather than
 * per entry. Nothing is decoded or trimmed: a `\r` stays in the line, where it makes the entry
 * non-canonical, and the bytes of each line are exactly the leaf bytes. A final line without
 * its newline is still a line. Throws a `RangeError` for a line over `maxLineBytes`.
 *
 * The yielded lines may share memory with the input chunks; use them before the next batch.
 */
export async function* jsonlLines(
  chunks: AsyncIterable<Uint8Array>,
  maxLineBytes: number = MAX_ENTRY_BYTES,
): AsyncGenerator<Uint8Array[]> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const input of chunks) {
    const chunk = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const batch: Uint8Array[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
      let line: Uint8Array = chunk.subarray(start, nl);
      if (pendingBytes + line.length > maxLineBytes) throw tooLong(maxLineBytes);
      if (pending.length > 0) {
        line = Buffer.concat([...pending, line]);
        pending = [];
        pendingBytes = 0;
      }
      batch.push(line);
      start = nl + 1;
    }
    if (start < chunk.length) {
      // Copy: the stream may reuse the chunk's memory once we ask for the next one.
      pending.push(Buffer.from(chunk.subarray(start)));
      pendingBytes += chunk.length - start;
      if (pendingBytes > maxLineBytes) throw tooLong(maxLineBytes);
    }
    if (batch.length > 0) yield batch;
  }
  if (pending.length > 0) yield [Buffer.concat(pending)];
}

function tooLong(max: number): RangeError {
  return new RangeError(`a line is longer than ${max} bytes`);
}
