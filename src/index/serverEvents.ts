/** One line of the structured access log: everything about a request except secrets. */
export interface AccessLogEntry {
  time: string;
  requestId: string;
  method: string;
  /** Path without query string (queries could carry secrets). */
  path: string;
  status: number;
  durationMs: number;
  bytesOut: number | null;
  remote: string;
  /** Who was authenticated (user name and public token id), never the credential. */
  user: string | null;
  tokenId: string | null;
  userAgent: string | null;
  /** The error code when the request failed. */
  error: string | null;
}

/**
 * What the server reports while it runs. The server never prints: the CLI
 * (or a test) decides where these go.
 */
export interface ServerEvents {
  access(entry: AccessLogEntry): void;
  /** Faults that are ours (5xx), with what is needed to debug them. */
  fault(info: { requestId: string; code: string; message: string; stack: string | undefined }): void;
  /** Notable moments: started, draining, stopped, published a file. */
  notice(event: string, fields: Record<string, unknown>): void;
}

export const silentEvents: ServerEvents = {
  access: () => {},
  fault: () => {},
  notice: () => {},
};
