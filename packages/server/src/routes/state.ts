import {
  type JsonValue,
  type StateDocumentApi,
  type StoreApi,
  ValidationError,
  type WriteResult,
  compileQuery,
  getAt,
} from "@statehouse/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { conditionOf } from "../conditions.js";
import { sendJson } from "./reply.js";
import { anyJson, diffQuery, docQuery, docReadQuery, historyAnswer, historyQuery, idParam, pageQuery, writeResult } from "./schemas.js";

interface DocQuery {
  pointer?: string;
  query?: string;
  revision?: number;
}

type DocOf = (request: FastifyRequest) => StateDocumentApi;

/**
 * The routes of one kind of state document under `prefix` (`/v1/state/:name` for named ones,
 * `/v1/sessions/:id/state` for a session's). Reads go through the store every time (its
 * adapter checks freshness), and each answer carries the revision it was read at.
 */
function documentRoutes(app: FastifyInstance, prefix: string, params: object, docOf: DocOf, tag: string): void {
  const tags = [tag];
  app.get<{ Querystring: DocQuery }>(
    prefix,
    {
      schema: {
        tags,
        summary: "Read the document, a pointer's value or a JSONPath's nodes; with ?revision=, of that revision (kept in history)",
        params,
        querystring: docReadQuery,
      },
    },
    async (request, reply) => {
      const { pointer, query, revision: wanted } = request.query;
      if (pointer !== undefined && query !== undefined) {
        throw new ValidationError("give either pointer or query, not both", {
          details: { issues: ["pointer and query"], malformed: true },
        });
      }
      // Compiled before the read, so a bad query costs no I/O.
      const compiled = query === undefined ? undefined : compileQuery(query);
      const { value, revision } = await docOf(request).read(wanted === undefined ? {} : { revision: wanted });
      if (compiled !== undefined) {
        return sendJson(reply, 200, { revision, nodes: value === undefined ? [] : compiled.run(value) }, revision);
      }
      const at = pointer === undefined || value === undefined ? value : getAt(value, pointer);
      return sendJson(reply, 200, at === undefined ? { revision } : { revision, value: at }, revision);
    },
  );
  app.get<{ Querystring: { limit?: number; before?: number; values?: boolean } }>(
    `${prefix}/history`,
    {
      schema: {
        tags,
        summary:
          "The document's revisions, newest first: the current one, then those history keeps (revision, time, size; values on request)",
        params,
        querystring: historyQuery,
        response: { 200: historyAnswer },
      },
    },
    async (request, reply) => {
      const { limit, before, values } = request.query;
      const entries = await docOf(request).history({
        ...(limit !== undefined && { limit }),
        ...(before !== undefined && { before }),
        ...(values !== undefined && { values }),
      });
      return sendJson(reply, 200, { entries });
    },
  );
  app.get<{ Querystring: { from: number; to: number } }>(
    `${prefix}/diff`,
    {
      schema: {
        tags,
        summary: "An RFC 6902 JSON Patch from revision ?from= to revision ?to= (each current or kept in history)",
        params,
        querystring: diffQuery,
      },
    },
    async (request, reply) => {
      const { from, to } = request.query;
      return sendJson(reply, 200, { from, to, operations: await docOf(request).diff(from, to) });
    },
  );
  app.post<{ Body: { query?: unknown } }>(
    `${prefix}/query`,
    {
      schema: {
        tags,
        summary: "JSONPath read with the expression in the body, for expressions too long for a URL",
        params,
        body: { type: "object", required: ["query"], properties: { query: { type: "string" } } },
      },
    },
    async (request, reply) => {
      const compiled = compileQuery(request.body.query as string);
      const { value, revision } = await docOf(request).read();
      return sendJson(reply, 200, { revision, nodes: value === undefined ? [] : compiled.run(value) }, revision);
    },
  );
  app.put<{ Querystring: DocQuery; Body: JsonValue }>(
    prefix,
    { schema: { tags, summary: "Replace the document, or set the value at ?pointer=", params, querystring: docQuery, body: anyJson } },
    async (request, reply) => {
      const body = request.body;
      if (body === undefined) throw new ValidationError("a PUT needs a JSON body", { details: { issues: ["no body"], malformed: true } });
      const doc = docOf(request);
      const condition = conditionOf(request);
      const { pointer } = request.query;
      const r = pointer === undefined ? await doc.replace(body, condition) : await doc.set(pointer, body, condition);
      return sendJson(reply, 200, r, r.revision);
    },
  );
  app.delete<{ Querystring: DocQuery }>(
    prefix,
    { schema: { tags, summary: "Delete the value at ?pointer=, or the whole document", params, querystring: docQuery } },
    async (request, reply) => {
      const doc = docOf(request);
      const condition = conditionOf(request);
      const { pointer } = request.query;
      if (pointer === undefined) return sendJson(reply, 200, { removed: await doc.remove(condition), revision: 0 });
      const r = await doc.delete(pointer, condition);
      return sendJson(reply, 200, r, r.revision);
    },
  );
  app.patch<{ Body: JsonValue }>(
    prefix,
    {
      schema: {
        tags,
        summary: "application/merge-patch+json (RFC 7396) or application/json-patch+json (RFC 6902)",
        params,
        body: anyJson,
      },
    },
    async (request, reply) => {
      const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
      const doc = docOf(request);
      const condition = conditionOf(request);
      if (request.body === undefined)
        throw new ValidationError("a PATCH needs a body", { details: { issues: ["no body"], malformed: true } });
      let r: WriteResult;
      if (type === "application/json-patch+json") r = await doc.patch(request.body, condition);
      else if (type === "application/merge-patch+json") r = await doc.merge(request.body, condition);
      else {
        throw new ValidationError(`PATCH takes application/merge-patch+json or application/json-patch+json, not ${JSON.stringify(type)}`, {
          details: { issues: ["patch content type"], malformed: true },
        });
      }
      return sendJson(reply, 200, r, r.revision);
    },
  );
  app.post<{ Querystring: { pointer?: string; by?: number }; Body: { pointer?: string; by?: number } | undefined }>(
    `${prefix}/increment`,
    {
      schema: {
        tags,
        summary: "Atomic increment (a missing value counts as 0); pointer and by in the body or the query",
        params,
        querystring: { type: "object", properties: { pointer: { type: "string" }, by: { type: "number" } } },
        // Untyped on purpose: ajv would coerce (null → 0); the library checks the types itself.
        body: {
          type: ["object", "null"],
          properties: { pointer: { description: "A JSON Pointer" }, by: { description: "A finite number; default 1" } },
        },
        response: { 200: { ...writeResult, properties: { ...writeResult.properties, value: { type: "number" } } } },
      },
    },
    async (request, reply) => {
      const pointer = request.body?.pointer ?? request.query.pointer;
      if (pointer === undefined)
        throw new ValidationError("increment needs a pointer", { details: { issues: ["no pointer"], malformed: true } });
      const by = request.body?.by !== undefined ? request.body.by : (request.query.by ?? 1);
      const r = await docOf(request).increment(pointer, by, conditionOf(request));
      return sendJson(reply, 200, r, r.revision);
    },
  );
}

export function stateRoutes(app: FastifyInstance, store: StoreApi): void {
  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    "/v1/state",
    {
      schema: {
        tags: ["state"],
        summary: "The named state documents (not sessions' own), in name order, with their revisions; paged",
        querystring: { type: "object", properties: { ...pageQuery } },
      },
    },
    async (request, reply) => sendJson(reply, 200, await store.documents(request.query)),
  );
  documentRoutes(
    app,
    "/v1/state/:name",
    idParam("name", "The document's name; `global` is the default document."),
    (request) => store.state((request.params as { name: string }).name),
    "state",
  );
  documentRoutes(
    app,
    "/v1/sessions/:id/state",
    idParam("id", "The session's id."),
    (request) => store.sessionState((request.params as { id: string }).id),
    "session state",
  );
}
