/** How much structure a JSON body may have before it is parsed at all. */
export interface JsonShapeLimits {
  /** Objects and arrays together. */
  maxContainers: number;
  maxDepth: number;
}

/**
 * Counts objects/arrays and nesting in JSON text without parsing it: one pass over the characters,
 * no allocation. JSON.parse of 16 MiB of `{},{},…` takes seconds and half a gigabyte; this check
 * refuses it in a few milliseconds. Malformed text is left for the real parser to reject.
 */
export function jsonShapeProblem(text: string, limits: JsonShapeLimits): 'containers' | 'depth' | undefined {
  let depth = 0;
  let containers = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = endOfString(text, i);
    } else if (c === 0x7b || c === 0x5b) {
      containers += 1;
      depth += 1;
      if (depth > limits.maxDepth) return 'depth';
      if (containers > limits.maxContainers) return 'containers';
    } else if (c === 0x7d || c === 0x5d) {
      depth -= 1;
    }
  }
  return undefined;
}

/** Index of the quote closing the string opened at `open` (or the end of the text). */
function endOfString(text: string, open: number): number {
  let i = open + 1;
  for (;;) {
    const quote = text.indexOf('"', i);
    if (quote < 0) return text.length;
    let backslashes = 0;
    for (let j = quote - 1; j > open && text.charCodeAt(j) === 0x5c; j -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return quote;
    i = quote + 1;
  }
}
