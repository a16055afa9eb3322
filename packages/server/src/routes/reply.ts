import type { FastifyReply } from "fastify";
import { etag } from "../conditions.js";

/** Sends a JSON body; with a revision, also its strong ETag. */
export function sendJson(reply: FastifyReply, status: number, body: unknown, revision?: number): FastifyReply {
  if (revision !== undefined) reply.header("etag", etag(revision));
  return reply.code(status).type("application/json").send(JSON.stringify(body));
}

/** The revision of a record-shaped result, if it has one. */
export function revisionOf(value: unknown): number | undefined {
  const r = (value as { revision?: unknown } | null)?.revision;
  return typeof r === "number" ? r : undefined;
}
