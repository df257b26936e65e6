import fastJson from 'fast-json-stringify';
import { z } from 'zod';

/**
 * A response serializer compiled from the route's zod schema into a fast-json-stringify
 * function (fastify's own default serializer), for the hot read routes: the zod type provider's
 * serializer parses every response with zod before `JSON.stringify`, which costs as much as the
 * query. The repository builds these answers from typed rows, so the check adds nothing there;
 * fast-json-stringify still writes only the schema's fields (an extra column never leaks).
 */
export function compiledSerializer({ schema }: { schema: unknown }): (data: unknown) => string {
  const jsonSchema = z.toJSONSchema(schema as z.ZodType, { target: 'draft-7', io: 'output', unrepresentable: 'any' });
  const { $schema: _drop, ...rest } = jsonSchema as Record<string, unknown>;
  return fastJson(rest as unknown as Parameters<typeof fastJson>[0]);
}
