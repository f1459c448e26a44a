/** The one error class of the codegen layer: bad input documents, bad overrides, failed live introspection. */
export class CodegenError extends Error {
  override name = 'CodegenError';
}
