import type { FastifyInstance } from "fastify";

interface RouteDoc {
  method: string;
  url: string;
  schema: Record<string, unknown>;
}

const BODY_TYPES: Record<string, string[]> = {
  PATCH: ["application/merge-patch+json", "application/json-patch+json"],
};

/** Every write takes an idempotency key (the IETF httpapi draft's header). */
const IDEMPOTENCY_KEY = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  description:
    "A retry with the same key (within the store's window, 24 h by default) returns the first result and changes nothing; " +
    "the same key with a different request is a 409 with reason idempotency-key-reused. 1 to 255 printable ASCII characters.",
  schema: { type: "string", minLength: 1, maxLength: 255 },
};

/** Every write can be fenced by a lease (issue 14); the lease routes themselves take none. */
const LEASE = {
  name: "Statehouse-Lease",
  in: "header",
  required: false,
  description:
    "NAME;token=N: the write is applied only while N is the current, unexpired token of lease NAME, else a 409 problem " +
    "whose details carry the lease's currentToken (and holder, if held); on /v1/batch it fences every operation without its own ifLease.",
  schema: { type: "string", pattern: "^[^;\\s]+;token=[1-9][0-9]*$" },
};

function parametersOf(schema: Record<string, unknown>): unknown[] {
  const out: unknown[] = [];
  for (const [where, key] of [
    ["path", "params"],
    ["query", "querystring"],
  ] as const) {
    const s = schema[key] as { properties?: Record<string, { description?: string }>; required?: string[] } | undefined;
    for (const [name, prop] of Object.entries(s?.properties ?? {})) {
      const { description, ...rest } = prop;
      out.push({
        name,
        in: where,
        required: where === "path" || (s?.required ?? []).includes(name),
        ...(description !== undefined && { description }),
        schema: rest,
      });
    }
  }
  return out;
}

/**
 * Builds `/v1/openapi.json` from the routes' own JSON Schemas (collected as they are added), so the
 * description cannot drift from what the server validates. Returns a function giving the document.
 */
export function collectOpenApi(app: FastifyInstance, version: string): () => object {
  const routes: RouteDoc[] = [];
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === "HEAD" || route.url.includes("*")) continue;
      routes.push({ method, url: route.url, schema: (route.schema ?? {}) as Record<string, unknown> });
    }
  });
  let doc: object | undefined;
  return () => {
    if (doc !== undefined) return doc;
    const paths: Record<string, Record<string, unknown>> = {};
    for (const r of routes) {
      const path = r.url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
      const op: Record<string, unknown> = {
        summary: r.schema.summary ?? `${r.method} ${path}`,
        ...(r.schema.tags !== undefined && { tags: r.schema.tags }),
        parameters:
          r.method === "GET"
            ? parametersOf(r.schema)
            : r.url.startsWith("/v1/leases/")
              ? parametersOf(r.schema)
              : [...parametersOf(r.schema), IDEMPOTENCY_KEY, LEASE],
        responses: {
          "200": {
            description: "OK",
            content: { "application/json": { schema: (r.schema.response as Record<string, unknown>)?.["200"] ?? {} } },
          },
          default: {
            description: "An RFC 9457 problem with the library's error code",
            content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
          },
        },
      };
      if (r.schema.body !== undefined) {
        const types = BODY_TYPES[r.method] ?? ["application/json"];
        op.requestBody = { content: Object.fromEntries(types.map((t) => [t, { schema: r.schema.body }])) };
      }
      paths[path] ??= {};
      paths[path]![r.method.toLowerCase()] = op;
    }
    doc = {
      openapi: "3.1.0",
      info: { title: "statehouse daemon API", version },
      paths,
      components: {
        schemas: {
          Problem: {
            type: "object",
            required: ["type", "title", "status", "code", "retryable"],
            properties: {
              type: { type: "string" },
              title: { type: "string" },
              status: { type: "integer" },
              detail: { type: "string" },
              code: { type: "string" },
              retryable: { type: "boolean" },
              currentRevision: { type: "integer" },
              details: { type: "object" },
            },
          },
        },
      },
    };
    return doc;
  };
}

declare module "fastify" {
  /** OpenAPI fields a route's schema may carry; fastify ignores them, `/v1/openapi.json` shows them. */
  interface FastifySchema {
    tags?: string[];
    summary?: string;
  }
}
