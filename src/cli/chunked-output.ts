// Command output written in pieces: a scan of 150,000 resources must never become one string
// (V8 caps a string at about 512 MB, and one argument per row overflows the call stack), so
// writers append here and whole lines leave in chunks of about 64 KiB.
import type { CommandIO } from './command.ts';

const CHUNK = 64 * 1024;

export class ChunkedOutput {
  readonly #write: (text: string) => void;
  #parts: string[] = [];
  #size = 0;

  constructor(write: CommandIO['stdout']) {
    this.#write = write;
  }

  write(text: string): void {
    this.#parts.push(text);
    this.#size += text.length;
    if (this.#size >= CHUNK) this.#flushLines();
  }

  /** Writes what is left. */
  end(): void {
    if (this.#size > 0) this.#write(this.#parts.join(''));
    this.#parts = [];
    this.#size = 0;
  }

  // Only whole lines leave, so that a line is never split between two writes (a reader of the
  // stream, or a redaction of one write, always sees complete lines).
  #flushLines(): void {
    const text = this.#parts.join('');
    const cut = text.lastIndexOf('\n') + 1;
    if (cut === 0) {
      this.#parts = [text];
      return;
    }
    this.#write(text.slice(0, cut));
    const rest = text.slice(cut);
    this.#parts = rest ? [rest] : [];
    this.#size = rest.length;
  }
}
