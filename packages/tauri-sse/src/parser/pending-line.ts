/**
 * Storage for the unterminated line at the end of a chunk: pieces joined once when the line ends.
 * Re-concatenating and re-scanning the line per chunk would be quadratic when a long line arrives
 * in small chunks.
 *
 * Small pieces are joined in runs as they come, so that they die young: 65,536 pieces of 64
 * characters (a 4 MiB line in 64 B chunks) kept to the end survive scavenges and get copied and
 * promoted, which made such a line swing by 1.5x in time from run to run. Large pieces are kept
 * as they are: joining them early copies them once more, into fresh large-object pages (one
 * 4 MiB line in 16 KiB chunks went from 1.8x eventsource-parser's speed to 1.1x that way).
 */
export class PendingLine {
  /** What the line will be joined from: large pieces and joined runs, in order. */
  private parts: string[] = [];
  /** Small pieces after the last part. */
  private run: string[] = [];

  push(piece: string): void {
    if (piece.length < SMALL_PIECE) {
      this.run.push(piece);
      if (this.run.length === RUN) this.endRun();
    } else {
      if (this.run.length !== 0) this.endRun();
      this.parts.push(piece);
    }
  }

  /**
   * The line so far, `last` appended, and with `withLF` a LF after it (the terminator the field
   * tests expect of a complete line); empties the store.
   */
  take(last: string, withLF: boolean): string {
    // Most pending lines are one piece of a line cut by a chunk boundary: then parts is empty.
    let into = this.run;
    if (this.parts.length !== 0) {
      if (this.run.length !== 0) this.endRun();
      into = this.parts;
    }
    into.push(last);
    if (withLF) into.push('\n');
    const line = into.join('');
    into.length = 0;
    return line;
  }

  clear(): void {
    this.parts.length = 0;
    this.run.length = 0;
  }

  private endRun(): void {
    this.parts.push(this.run.join(''));
    this.run.length = 0;
  }
}

/**
 * Pieces shorter than SMALL_PIECE are joined in runs of RUN. A run long enough that a 64 KiB line in
 * 64 B chunks (1,025 pieces) is still joined once only: runs of 128 cost 64k-events 7% at 64 B.
 */
const SMALL_PIECE = 512;
const RUN = 2048;
