/** Collapses runs of whitespace (newlines, tabs, repeated spaces) into one space and trims. */
export function normaliseWhitespace(text: string | null | undefined): string {
  return (text ?? '').replace(/\s+/g, ' ').trim();
}
