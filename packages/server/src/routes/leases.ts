import type { Lease, StoreApi } from "@statehouse/core";
import { ConflictError, NotFoundError, ValidationError } from "@statehouse/core";
import type { FastifyInstance } from "fastify";
import { sendJson } from "./reply.js";
import { idParam } from "./schemas.js";

type Name = { name: string };

const lease = {
  type: "object",
  required: ["name", "holder", "token", "acquiredAt", "expiresAt", "held"],
  properties: {
    name: { type: "string" },
    holder: { type: ["string", "null"], description: "The holder; null once released." },
    token: { type: "integer", description: "The fencing token: grows by one with each new holder, never reused." },
    acquiredAt: { type: "string" },
    expiresAt: { type: "string" },
    held: { type: "boolean", description: "Whether it is held (not released, not expired) at the time of the answer." },
  },
} as const;

// Untyped fields on purpose (ajv would coerce "5" → 5): the library checks holder, ttlMs and token itself.
const acquireBody = {
  type: "object",
  required: ["holder", "ttlMs"],
  properties: {
    holder: { description: "Who takes the lease: 1 to 200 characters (an agent id, host:pid, …)." },
    ttlMs: { description: "How long it lasts without a renewal: an integer from 1 to 86,400,000 ms." },
  },
} as const;
const renewBody = {
  type: "object",
  required: ["token"],
  properties: {
    token: { description: "The token acquire returned." },
    ttlMs: { description: "The new ttl from now; default the acquisition's." },
  },
} as const;
const releaseBody = {
  type: ["object", "null"],
  properties: {
    holder: { description: "Optional: the holder, as acquired; refused (409) if the token is another holder's." },
    token: { description: "The token acquire returned (or ?token=)." },
  },
} as const;

/** A number from a body field or a query parameter, passed to the library unchanged when it is not a decimal integer. */
function tokenOf(body: unknown, query: string | undefined): unknown {
  if (body !== undefined) return body;
  if (query === undefined) return undefined;
  return /^[1-9][0-9]{0,15}$/.test(query) ? Number(query) : query;
}

/**
 * Leases with fencing tokens (issue 14): acquire, renew, release, read. A conflict is a 409 problem
 * whose details carry the holder and the current token, as the library's error does.
 */
export function leaseRoutes(app: FastifyInstance, store: StoreApi): void {
  const params = idParam("name", "The lease's name (an id: 1 to 200 of A-Z a-z 0-9 _ . : @ + -).");
  app.post<{ Params: Name; Body: { holder?: unknown; ttlMs?: unknown } }>(
    "/v1/leases/:name",
    {
      schema: {
        tags: ["leases"],
        summary: "Acquire a lease for a holder (409 naming the holder while another holds it); the holder again extends it, same token",
        params,
        body: acquireBody,
        response: { 200: lease },
      },
    },
    async (request, reply) => {
      const { holder, ttlMs } = request.body;
      return sendJson(reply, 200, await store.leases.acquire(request.params.name, { holder, ttlMs } as { holder: string; ttlMs: number }));
    },
  );
  app.post<{ Params: Name; Body: { token?: unknown; ttlMs?: unknown } }>(
    "/v1/leases/:name/renew",
    {
      schema: {
        tags: ["leases"],
        summary: "Renew a held lease by its ttl (or ttlMs) from now; 409 once the token is no longer current",
        params,
        body: renewBody,
        response: { 200: lease },
      },
    },
    async (request, reply) => {
      const { token, ttlMs } = request.body;
      const options = { token, ...(ttlMs !== undefined && { ttlMs }) } as { token: number; ttlMs?: number };
      return sendJson(reply, 200, await store.leases.renew(request.params.name, options));
    },
  );
  app.delete<{ Params: Name; Querystring: { holder?: string; token?: string }; Body: { holder?: unknown; token?: unknown } | undefined }>(
    "/v1/leases/:name",
    {
      schema: {
        tags: ["leases"],
        summary:
          "Release a lease (token, and optionally holder, in the body or the query): {released: false} if it had already expired; " +
          "409 if another token is current or the token is not the holder's",
        params,
        querystring: {
          type: "object",
          properties: {
            holder: { type: "string", description: "The lease's holder." },
            token: { type: "string", description: "Its token." },
          },
        },
        body: releaseBody,
        response: { 200: { type: "object", required: ["released"], properties: { released: { type: "boolean" } } } },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const token = tokenOf(request.body?.token, request.query.token);
      const holder = request.body?.holder ?? request.query.holder;
      if (token === undefined) {
        throw new ValidationError("releasing a lease needs its token", { details: { issues: ["no token"], malformed: true } });
      }
      // The release is judged by the token alone, in the library's transaction (a token belongs to one
      // holder for good). A holder given too is checked against the token's, so that a script passing
      // the wrong pair is told so instead of releasing someone else's lease.
      const current: Lease | undefined = holder === undefined ? undefined : await store.leases.get(name);
      if (current !== undefined && current.token === token && current.holder !== null && current.holder !== holder) {
        throw new ConflictError(`lease "${name}" token ${String(token)} is held by "${current.holder}", not ${JSON.stringify(holder)}`, {
          details: { issues: ["holder mismatch"], lease: name, holder: current.holder, currentToken: current.token },
        });
      }
      return sendJson(reply, 200, { released: await store.leases.release(name, { token: token as number }) });
    },
  );
  app.get<{ Params: Name }>(
    "/v1/leases/:name",
    {
      schema: {
        tags: ["leases"],
        summary: "A lease as stored, with held judged now (404 if never acquired)",
        params,
        response: { 200: lease },
      },
    },
    async (request, reply) => {
      const l = await store.leases.get(request.params.name);
      if (l === undefined) {
        throw new NotFoundError(`lease "${request.params.name}" was never acquired`, { details: { lease: request.params.name } });
      }
      return sendJson(reply, 200, l);
    },
  );
}
