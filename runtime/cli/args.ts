import { parseArgs, type ParseArgsConfig } from 'node:util';

/** node:util parseArgs with errors that name the option, for every command. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw Object.assign(new Error((error as Error).message), { name: 'UsageError' });
  }
}
