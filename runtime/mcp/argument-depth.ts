import { ToolError } from './errors.ts';

/**
 * How deeply tool arguments may nest (objects and lists). The deepest input schema of Moodle 4.5.6 has 10 levels
 * (`generated/schemas`); 32 leaves room for other versions and plugins. Anything deeper is refused before any code
 * recurses over it (argument keys for the audit, validation, course paths, form encoding).
 */
export const MAX_ARGUMENT_DEPTH = 32;

/** Nesting depth of a JSON value: 0 for a scalar, 1 for `{}` or `[]`, ... Iterative: any depth is measured safely. */
export function argumentDepth(value: unknown, stopAbove = Infinity): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (!current || typeof current !== 'object') continue;
    if (depth > deepest) deepest = depth;
    if (deepest > stopAbove) return deepest;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

/** The invalid_arguments error for arguments nested past MAX_ARGUMENT_DEPTH, or undefined when they are within it. */
export function argumentDepthError(args: unknown): ToolError | undefined {
  if (argumentDepth(args, MAX_ARGUMENT_DEPTH) <= MAX_ARGUMENT_DEPTH) return undefined;
  const message = `arguments are nested deeper than ${MAX_ARGUMENT_DEPTH} levels (the gateway's limit; no Moodle function takes more than 10)`;
  return new ToolError('invalid_arguments', `Arguments refused: ${message}.`, 400, { issues: [{ path: '', message }] });
}
