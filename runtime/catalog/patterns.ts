/** Wildcard patterns over function names: `*` any run of characters, `?` one character. */
export function compilePatterns(patterns: string[]): (name: string) => boolean {
  if (patterns.length === 0) return () => false;
  const source = patterns
    .map((p) => p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.'))
    .join('|');
  const regex = new RegExp(`^(?:${source})$`);
  return (name) => regex.test(name);
}
