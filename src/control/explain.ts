// `dnsfwd explain NAME [TYPE]`: how the daemon would answer a name, and how the command prints it.

/** The explanation as a person reads it (`dnsfwd explain` without --json). */
export function formatExplain(result: unknown): string {
  return JSON.stringify(result);
}
