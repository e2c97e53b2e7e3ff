/** The longest log line, or heartbeat info line, kept (in UTF-16 code units); past it a line is cut and marked. */
export const MAX_LOG_LINE_CHARS = 10_000;

/**
 * A line cut to `max` characters (the marker included), ending with a marker that says how
 * long it was: nothing is cut silently. A line within `max` is returned as it is.
 */
export function truncateLine(line: string, max = MAX_LOG_LINE_CHARS): string {
  if (line.length <= max) return line;
  const marker = ` … [truncated: ${line.length} characters]`;
  let cut = Math.max(0, max - marker.length);
  // do not split a surrogate pair
  if (cut > 0 && /[\uD800-\uDBFF]/.test(line[cut - 1]!)) cut -= 1;
  return line.slice(0, cut) + marker;
}
