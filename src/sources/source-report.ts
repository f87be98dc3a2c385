// How a watched source tells the operator about its files: each distinct problem once (after a
// second read confirms it: writers rewrite in place), recovery once, skipped values once.
import type { Logger } from '../log.js';

export class SourceReport {
  /** The problem last reported, by file (or directory / pattern). */
  private readonly reported = new Map<string, string>();
  /** Of those, the ones reported as simply not there yet (an optional source). */
  private readonly absentOnly = new Set<string>();
  /** Files whose last read failed once: the next failure is confirmed and reported. */
  private readonly suspects = new Set<string>();
  private readonly skippedValues = new Map<string, string>();

  constructor(
    private readonly source: string,
    private readonly log: Logger,
    /** Absence is normal for this source (info, not a warning). */
    private readonly optional: boolean,
    /** Asks for another read soon, to confirm a first failure. */
    private readonly readAgain: () => void,
  ) {}

  /**
   * Reports a problem once; a first failure waits for one more read to rule out a rewrite.
   * Nothing there yet (`absent`) for an optional source is info: it is watched for.
   */
  problem(file: string, reason: string, absent = false): void {
    if (this.reported.get(file) === reason) return;
    if (!this.suspects.has(file)) {
      this.suspects.add(file);
      this.readAgain();
      return;
    }
    this.suspects.delete(file);
    this.reported.set(file, reason);
    const fields = { source: this.source, file, reason };
    if (absent && this.optional) {
      this.absentOnly.add(file);
      this.log.info(fields, 'source not present: watching for it');
    } else {
      this.absentOnly.delete(file);
      this.log.warn(fields, 'source file unusable; keeping the last good servers');
    }
  }

  fine(file: string): void {
    this.suspects.delete(file);
    if (!this.reported.delete(file)) return;
    const appeared = this.absentOnly.delete(file);
    this.log.info({ source: this.source, file }, appeared ? 'source appeared' : 'source file usable again');
  }

  /** Values a parser skipped (bad address, bad date): one warning per distinct set. */
  skipped(file: string, warnings: readonly string[]): void {
    const reason = warnings.join('; ');
    if (this.skippedValues.get(file) === reason) return;
    this.skippedValues.set(file, reason);
    if (reason !== '') this.log.warn({ source: this.source, file, reason }, 'source file values skipped');
  }
}
