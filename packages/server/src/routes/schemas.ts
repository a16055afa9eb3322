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

export const docReadQuery = {
  type: "object",
  properties: {
    ...docQuery.properties,
    revision: {
      type: "integer",
      description: "Read this revision: the current one or one kept in history (E_NOT_FOUND for one no longer kept).",
    },
  },
} as const;

export const historyQuery = {
  type: "object",
  properties: {
    limit: { type: "integer", description: "At most this many entries, newest first (1 to 1,000; default 20)." },
    before: { type: "integer", description: "Only revisions lower than this one (paging back)." },
    values: { type: "boolean", description: "Include each revision's value (default false)." },
  },
} as const;

export const historyAnswer = {
  type: "object",
  properties: {
    entries: {
      type: "array",
      items: {
        type: "object",
        required: ["revision", "at", "size"],
        properties: {
          revision: { type: "integer" },
          at: { type: ["string", "null"], description: "Commit time (ISO 8601); null when not known." },
          size: { type: "integer", description: "Length of the value's JSON text." },
          value: { description: "The value (with values=true)." },
        },
      },
    },
  },
} as const;

export const diffQuery = {
  type: "object",
  required: ["from", "to"],
  properties: {
    from: { type: "integer", description: "The revision the patch starts from." },
    to: { type: "integer", description: "The revision the patch leads to." },
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
