/** JSON Schemas shared by the routes; they validate requests and feed `/v1/openapi.json`. */

export const idParam = (name: string, description: string) => ({
  type: "object",
  required: [name],
  properties: { [name]: { type: "string", description } },
});

export const docQuery = {
  type: "object",
  properties: {
    pointer: { type: "string", description: "An RFC 6901 JSON Pointer: read, set or delete the value there." },
    query: { type: "string", description: "An RFC 9535 JSONPath (reads only): the matching nodes." },
  },
} as const;

export const pageQuery = {
  limit: { type: "integer", minimum: 1, maximum: 10000, description: "Page size." },
  cursor: { type: "string", description: "The cursor of the previous page." },
} as const;

export const writeResult = {
  type: "object",
  properties: { revision: { type: "integer" }, sequence: { type: ["integer", "null"] } },
} as const;

export const anyJson = { description: "Any JSON value." } as const;

export const objectBody = { type: "object", additionalProperties: true } as const;
