import { createInterface } from "node:readline/promises";
import { Writable } from "node:stream";

/** Asks questions on stderr and reads the answers from stdin (a terminal without echo, or a pipe line by line). */
export class Prompter {
  private readonly lines: AsyncIterator<string>;
  private readonly rl;

  constructor(
    input: NodeJS.ReadableStream = process.stdin,
    private readonly output: NodeJS.WritableStream = process.stderr,
  ) {
    // The answers are not echoed: the interface writes to a sink.
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    this.rl = createInterface({
      input,
      output: sink,
      terminal: (input as { isTTY?: boolean }).isTTY === true,
    });
    this.lines = this.rl[Symbol.asyncIterator]();
  }

  /** One answer; an empty string when the input ended. */
  async ask(question: string): Promise<string> {
    this.output.write(question);
    const next = await this.lines.next();
    this.output.write("\n");
    return next.done === true ? "" : next.value;
  }

  close(): void {
    this.rl.close();
  }
}
