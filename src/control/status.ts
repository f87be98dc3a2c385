// `dnsfwd status`: what the daemon reports about itself, and how the command prints it.

/** The status report as a person reads it (`dnsfwd status` without --json). */
export function formatStatus(result: unknown): string {
  return JSON.stringify(result);
}
