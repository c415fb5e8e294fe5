import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Writes `path` whole or not at all: the bytes go to a temporary file beside it (named for this
 * process, so concurrent writers never share one), which is then renamed over `path`. A reader
 * sees the old content or the new, never a part; a failed write leaves no temporary behind.
 */
export async function writeAtomically(path: string, content: Buffer | string): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, content);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
