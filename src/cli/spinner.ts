import { duration } from "./output.js";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/**
 * One line on a terminal, redrawn in place: a spinner, the job's state, the time since the
 * call began, the job's key and its last status line. Used only when stderr is a TTY (the
 * caller decides); `stop()` erases the line, so what follows starts on a clean one.
 */
export class Spinner {
  private frame = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly started = Date.now();
  private state: string;
  private jobKey: string | null = null;
  private info: string | null = null;

  constructor(private readonly stream: NodeJS.WriteStream, initialState: string) {
    this.state = initialState;
  }

  start(): this {
    this.stream.write("\x1b[?25l"); // hide the cursor
    this.render();
    this.timer = setInterval(() => this.render(), 80);
    return this;
  }

  update(state: string, detail: { jobKey?: string | null; info?: string | null } = {}): void {
    this.state = state;
    if (detail.jobKey) this.jobKey = detail.jobKey;
    if (detail.info !== undefined) this.info = detail.info;
    this.render();
  }

  /** A line above the spinner's: erased, the line written, the spinner drawn again below it. */
  note(line: string): void {
    this.stream.write(`\r\x1b[2K${line}\n`);
    if (this.timer) this.render();
  }

  /** The time since the spinner started. */
  elapsed(): number {
    return Date.now() - this.started;
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
    this.stream.write("\r\x1b[2K\x1b[?25h");
  }

  private render(): void {
    const frame = FRAMES[this.frame++ % FRAMES.length]!;
    const parts = [`${frame} ${this.state}`, duration(this.elapsed())];
    if (this.jobKey) parts.push(`job ${this.jobKey}`);
    if (this.info) parts.push(this.info.replace(/\s+/g, " "));
    let line = parts.join("  ");
    const columns = this.stream.columns || 80;
    if (line.length > columns - 1) line = `${line.slice(0, columns - 2)}…`;
    this.stream.write(`\r\x1b[2K${line}`);
  }
}
