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
  /**
   * A short line is kept as one string instead (`+` builds a rope: no copy until it is read), as
   * most pending lines are: one piece of a line cut by a chunk boundary, maybe a few more when the
   * chunks are tiny. Joining arrays for those was a quarter of the time at 64 B chunks.
   */
  private head = '';

  push(piece: string): void {
    if (this.parts.length === 0 && this.run.length === 0) {
      if (this.head.length + piece.length <= HEAD_MAX) {
        this.head = this.head === '' ? piece : this.head + piece;
        return;
      }
      if (this.head !== '') {
        this.run.push(this.head);
        this.head = '';
      }
    }
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
    if (this.parts.length === 0 && this.run.length === 0) {
      const head = this.head;
      this.head = '';
      return withLF ? head + last + '\n' : head + last;
    }
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
    this.head = '';
    // Setting an array's length is a runtime call (~10% of the time on comments in 7 B chunks).
    if (this.parts.length !== 0) this.parts.length = 0;
    if (this.run.length !== 0) this.run.length = 0;
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
/** Longest line kept as `head`: past it, the pieces go to the arrays (a rope that long is slow to flatten). */
const HEAD_MAX = 1024;
