import type { Writable } from 'node:stream';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A bad-usage error (exit code 2 with the usage text; see main.ts and reportCliError). */
export function usageError(message: string): Error {
  return Object.assign(new Error(message), { name: 'UsageError' });
}

/** An error as one line: its message (the class name only when the message is empty). */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message || error.name : String(error);
  return message.replace(/\s*\n\s*/g, ' ');
}

/** node:util parseArgs with errors that name the option, for every command. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw usageError((error as Error).message);
  }
}

/** True when the options (before a `--`) ask for help: `--help` or `-h` anywhere, or a leading `help`. */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return argv[0] === 'help' || (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/**
 * `argv[0]` when it is one of `subcommands`, with the arguments after it. Otherwise, or when help is asked for
 * anywhere (`keys create --help`), prints the usage and returns the exit code: 0 for help (usage on stdout), 2 for a
 * missing or unknown subcommand (`<command>: unknown subcommand "…"` and the usage on stderr).
 */
export function subcommand<S extends string>(command: string, argv: string[], subcommands: readonly S[], usage: string, stderr: Writable, stdout: Writable = process.stdout): { sub: S; rest: string[] } | number {
  const [sub, ...rest] = argv;
  if (wantsHelp(argv)) {
    stdout.write(`${usage}\n`);
    return 0;
  }
  if ((subcommands as readonly string[]).includes(sub)) return { sub: sub as S, rest };
  stderr.write(`${sub ? `${command}: unknown subcommand "${sub}"\n\n` : ''}${usage}\n`);
  return 2;
}

/** How a command family reports errors besides plain usage errors. */
export interface CliErrorStyle {
  /** Names of errors that are bad input too: exit 2 with the usage text (audit and privacy: AuditError). */
  usageErrors?: readonly string[];
  /** Exit code for a ConfigError, printed without the usage text (default 1). */
  configErrorExit?: 1 | 2;
  /** Printed before the message of any other failure (default none). */
  failurePrefix?: string;
}

/**
 * Prints an error the CLI way and returns the exit code: 2 with the usage text for bad usage (UsageError, parseArgs
 * errors, AuthError invalid_request, `style.usageErrors`), the ConfigError message alone, 1 for any other failure.
 */
export function cliError(error: unknown, stderr: Writable, usage: string, style: CliErrorStyle = {}): number {
  const e = error as { name?: string; code?: string; message?: string } | undefined;
  if (e?.name === 'ConfigError') {
    stderr.write(`${e.message}\n`);
    return style.configErrorExit ?? 1;
  }
  const usageError =
    e?.name === 'UsageError' || e?.code === 'invalid_request' || e?.code?.startsWith?.('ERR_PARSE_ARGS') || (e?.name !== undefined && style.usageErrors?.includes(e.name));
  if (usageError) {
    stderr.write(`${e!.message}\n\n${usage}\n`);
    return 2;
  }
  stderr.write(`${style.failurePrefix ?? ''}${e?.message ?? String(error)}\n`);
  return 1;
}
