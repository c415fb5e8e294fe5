import type { FileHandle } from 'node:fs/promises';

/** Default bytes read at once: zip local headers and small members sit close together. */
export const WINDOW_BYTES = 1024 * 1024;

/**
 * Positional reads of a file through one moving window, so reading many
 * small zip members (local header, then data) costs one read per window
 * instead of one per member. Shared by upload inspection and the scanner.
 */
export class WindowedFile {
  private window = Buffer.alloc(0);
  private windowStart = 0;

  constructor(
    private readonly file: FileHandle,
    readonly size: number,
    private readonly windowBytes: number = WINDOW_BYTES,
  ) {}

  /** Up to `length` bytes at `position` (fewer only at the end of the file). */
  async read(position: number, length: number): Promise<Buffer> {
    const end = Math.min(position + length, this.size);
    if (position >= this.windowStart && end <= this.windowStart + this.window.length) {
      return this.window.subarray(position - this.windowStart, end - this.windowStart);
    }
    const want = Math.min(Math.max(end - position, this.windowBytes), this.size - position);
    const buffer = Buffer.allocUnsafe(Math.max(want, 0));
    let done = 0;
    while (done < buffer.length) {
      const { bytesRead } = await this.file.read(buffer, done, buffer.length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    this.window = buffer.subarray(0, done);
    this.windowStart = position;
    return this.window.subarray(0, Math.min(end - position, done));
  }
}
