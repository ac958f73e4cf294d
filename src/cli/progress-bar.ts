import { processIO } from './command.ts';
import type { CommandIO } from './command.ts';

/**
 * A progress bar on stderr, only when stderr is a terminal (never in pipes, CI logs or tests
 * unless the io says it is a TTY) and only once the work has run for half a second; `unit` names
 * what is counted (`resources`, `files loaded`). Own code rather
 * than a dependency: it is 30 lines and needs nothing a library would add.
 */
export class ProgressBar {
  readonly #io: CommandIO;
  readonly #total: number;
  readonly #enabled: boolean;
  readonly #delayMs: number;
  readonly #unit: string;
  readonly #started = Date.now();
  #done = 0;
  #drawnAt = 0;
  #drawn = false;

  constructor(io: CommandIO, total: number, options: { delayMs?: number; unit?: string } = {}) {
    this.#io = io;
    this.#unit = options.unit ?? 'resources';
    this.#delayMs = options.delayMs ?? io.progressDelayMs ?? 500;
    this.#total = total;
    const tty = io.stderrIsTTY ?? (io.stderr === processIO.stderr && process.stderr.isTTY === true);
    this.#enabled = tty && total > 0;
  }

  tick(): void {
    this.#done++;
    if (!this.#enabled) return;
    const now = Date.now();
    if (now - this.#started < this.#delayMs || (this.#drawn && now - this.#drawnAt < 100 && this.#done < this.#total)) return;
    this.#drawnAt = now;
    this.#draw();
  }

  #draw(): void {
    const width = 30;
    const ratio = this.#total ? this.#done / this.#total : 1;
    const filled = Math.round(ratio * width);
    this.#io.stderr(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(ratio * 100)}% ${this.#done}/${this.#total} ${this.#unit}`);
    this.#drawn = true;
  }

  done(): void {
    if (this.#drawn) this.#io.stderr('\r\x1b[K');
  }
}
