/** A validation issue's path as text: `a.b[0].c` (zod's `issue.path`; empty for the root). */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}
