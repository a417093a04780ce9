// A Server-Sent Events reader for tests of GET /v1/events: fetch() with a streamed body,
// parsed into events as the browser's EventSource would (id, event, data; comments skipped),
// with a bounded wait for the next one, and a cut (abort) at any moment.

export interface SseEvent {
  readonly id: string | null;
  readonly event: string;
  readonly data: string;
}

export class SseStream {
  private readonly queue: SseEvent[] = [];
  private waiter: (() => void) | null = null;
  private buffer = '';
  ended = false;

  private constructor(
    readonly response: Response,
    private readonly abort: AbortController,
  ) {}

  /** Opens a stream; the response is returned as it is (its status may be a refusal). */
  static async open(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
    const abort = new AbortController();
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
    const stream = new SseStream(response, abort);
    if (response.status === 200 && response.body !== null) void stream.read(response.body);
    else stream.ended = true;
    return stream;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) {
        this.buffer += decoder.decode(chunk, { stream: true });
        let end = this.buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = this.buffer.slice(0, end);
          this.buffer = this.buffer.slice(end + 2);
          const event = parse(block);
          if (event !== null) this.queue.push(event);
          end = this.buffer.indexOf('\n\n');
        }
        this.waiter?.();
      }
    } catch {
      // aborted, or the server cut the stream
    }
    this.ended = true;
    this.waiter?.();
  }

  /** The next event, or null when the stream ended or none came within `timeoutMs`. */
  async next(timeoutMs = 5_000): Promise<SseEvent | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0 && !this.ended && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
    return this.queue.shift() ?? null;
  }

  /** The next event of a kind (others are skipped), or null. */
  async nextOf(kind: string, timeoutMs = 5_000): Promise<SseEvent | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = await this.next(Math.max(0, deadline - Date.now()));
      if (event === null || event.event === kind) return event;
    }
  }

  /** Events already received and not yet taken. */
  get pending(): number {
    return this.queue.length;
  }

  /** Cuts the connection from the client's side. */
  close(): void {
    this.abort.abort();
  }
}

function parse(block: string): SseEvent | null {
  let id: string | null = null;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':') || line === '') continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 && id === null ? null : { id, event, data: data.join('\n') };
}
