import { Project } from 'ts-morph';
import { HEADER } from './header.ts';

/**
 * Emits TypeScript files through ts-morph, in batches: each file gets ONE addStatements call with all its
 * statements (header comment first). Returns path → text.
 */
export function emitTypeScript(files: { path: string; statements: string[] }[]): Map<string, string> {
  const project = new Project({ useInMemoryFileSystem: true, skipAddingFilesFromTsConfig: true });
  const out = new Map<string, string>();
  for (const file of files) {
    const source = project.createSourceFile(`/${file.path}`, '', { overwrite: true });
    source.addStatements([`// ${HEADER}`, ...file.statements]);
    out.set(file.path, source.getFullText());
    project.removeSourceFile(source);
  }
  return out;
}
