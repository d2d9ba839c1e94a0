/**
 * Turns chunks of one stream into complete lines. A chunk may end mid-line (and mid-character):
 * the rest is kept until the next chunk or `flush()`. `\r\n` endings lose their `\r`.
 */
export class LineSplitter {
  private pending: Buffer[] = [];

  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    let newline = chunk.indexOf(10, start);
    while (newline !== -1) {
      const piece = chunk.subarray(start, newline);
      const whole = this.pending.length === 0 ? piece : Buffer.concat([...this.pending, piece]);
      this.pending = [];
      lines.push(stripCarriageReturn(whole.toString("utf8")));
      start = newline + 1;
      newline = chunk.indexOf(10, start);
    }
    if (start < chunk.length) this.pending.push(chunk.subarray(start));
    return lines;
  }

  /** The last line, when the stream ended without a newline. */
  flush(): string | undefined {
    if (this.pending.length === 0) return undefined;
    const rest = Buffer.concat(this.pending).toString("utf8");
    this.pending = [];
    return stripCarriageReturn(rest);
  }
}

function stripCarriageReturn(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
