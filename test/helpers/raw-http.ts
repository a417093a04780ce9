// HTTP/1.1 written by hand over one TCP connection (node:net), for tests of the gateway
// that fetch() cannot do: a chosen local port (so that WHOAMI over HTTP names the same
// port as over UDP), bodies sent a byte at a time, chunked bodies, connections held open.
// Responses are read by Content-Length (what Bun.serve sends for every fixed body).

import net from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly body: Uint8Array;
}

export class RawHttp {
  private buffered = Buffer.alloc(0);
  private waiting: (() => void) | null = null;
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
    socket.on('error', () => {
      this.closed = true;
      this.waiting?.();
    });
  }

  /** Connects to 127.0.0.1:port, from `localPort` when given. */
  static connect(port: number, localPort?: number): Promise<RawHttp> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port, ...(localPort === undefined ? {} : { localPort, localAddress: '127.0.0.1' }) });
      socket.once('connect', () => resolve(new RawHttp(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: string | Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The head of a request (through the blank line); the body is the caller's. */
  static head(method: string, path: string, headers: Record<string, string> = {}): string {
    return `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('')}\r\n`;
  }

  /** One whole request with a Content-Length body, and its response. */
  async request(method: string, path: string, body: Uint8Array | null = null, headers: Record<string, string> = {}, timeoutMs = 5_000): Promise<RawResponse> {
    const all = body === null ? headers : { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length), ...headers };
    this.write(RawHttp.head(method, path, all));
    if (body !== null && body.length > 0) this.write(body);
    return await this.response(timeoutMs);
  }

  /** The next response; throws when the connection closes or the time runs out first. */
  async response(timeoutMs = 5_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.parse();
      if (parsed !== null) return parsed;
      if (this.closed) throw new Error('the connection closed before a whole response');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no whole response within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = null;
    }
  }

  private parse(): RawResponse | null {
    const end = this.buffered.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const lines = this.buffered.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1] ?? Number.NaN);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const length = Number(headers.get('content-length') ?? '0');
    if (this.buffered.length < end + 4 + length) return null;
    const body = new Uint8Array(this.buffered.subarray(end + 4, end + 4 + length));
    this.buffered = this.buffered.subarray(end + 4 + length);
    return { status, headers, body };
  }

  close(): void {
    this.socket.destroy();
  }
}
