import type { Catalog, ComponentSchemas } from '../../runtime/catalog/types.ts';

/**
 * An OpenAPI 3.1 document of the given functions. Each function is an operation `POST /<function>`: Moodle's
 * REST endpoint is `/webservice/rest/server.php` with `wsfunction=<function>`, `wstoken` and
 * `moodlewsrestformat=json` in the form body (OpenAPI paths cannot carry the query that tells functions apart).
 * Schemas live in `components.schemas` as `<function>_input` / `<function>_output`.
 */
export function openApiDocument(catalog: Catalog, schemas: Record<string, ComponentSchemas>, only?: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const componentSchemas: Record<string, unknown> = {};
  for (const fn of catalog.functions) {
    if (only && fn.component !== only) continue;
    const { input, output } = schemas[fn.component][fn.name];
    componentSchemas[`${fn.name}_input`] = input;
    componentSchemas[`${fn.name}_output`] = output;
    paths[`/${fn.name}`] = {
      post: {
        operationId: fn.name,
        summary: fn.title,
        ...(fn.description ? { description: fn.description } : {}),
        tags: [fn.component],
        ...(fn.deprecated ? { deprecated: true } : {}),
        'x-moodle-access': fn.access,
        requestBody: {
          required: true,
          content: { 'application/x-www-form-urlencoded': { schema: { $ref: `#/components/schemas/${fn.name}_input` } } },
        },
        responses: {
          '200': {
            description: 'The function result, or a Moodle error object {exception, errorcode, message} (Moodle answers errors with HTTP 200).',
            content: { 'application/json': { schema: { $ref: `#/components/schemas/${fn.name}_output` } } },
          },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: `Moodle web services${only ? ` (${only})` : ''}`,
      version: catalog.moodle.release,
      description: `External functions of Moodle ${catalog.moodle.release}, from ${catalog.moodle.source}.`,
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '{moodle}/webservice/rest/server.php', variables: { moodle: { default: 'https://moodle.example.org' } } }],
    paths,
    components: { schemas: componentSchemas },
  };
}
