import openapiTS, { astToString } from 'openapi-typescript';

/**
 * `generated/types/<component>.ts` statements: openapi-typescript's `paths`/`components`/`operations` for the
 * component's OpenAPI document, plus a `Functions` map `{ [function]: { input; output } }`.
 */
export async function typeStatements(document: Record<string, unknown>, functionNames: string[]): Promise<string[]> {
  const ast = await openapiTS(document as never, { silent: true, alphabetize: false });
  const body = astToString(ast);
  const map = functionNames
    .map((n) => `  ${JSON.stringify(n)}: { input: components['schemas'][${JSON.stringify(`${n}_input`)}]; output: components['schemas'][${JSON.stringify(`${n}_output`)}] };`)
    .join('\n');
  return [body.trim(), `/** Argument and result types of this component's functions. */\nexport interface Functions {\n${map}\n}`];
}
