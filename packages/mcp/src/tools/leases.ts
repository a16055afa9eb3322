import { MAX_TTL_MS } from "@statehouse/core";
import { z } from "zod";
import { type ToolContext, defineTool } from "./define.js";

const leaseName = z.string().describe('The lease name: what it guards, e.g. "task:42" or "deploy".');
const token = z.number().int().min(1).describe("The token lease_acquire returned.");
const ttlMs = (what: string) => z.number().int().min(1).max(MAX_TTL_MS).describe(what);

/** lease_acquire, lease_renew, lease_release. */
export function registerLeaseTools(ctx: ToolContext): void {
  const { store } = ctx;

  defineTool(ctx, "lease_acquire", {
    description:
      "Claim exclusive ownership of a named piece of work (a task, a file, a deploy) for ttlMs milliseconds. Returns a " +
      "fencing token: pass it as ifLease {name, token} on state writes so they are refused if you lost the lease, " +
      "renew with lease_renew before it expires, and lease_release when done. If someone else holds it, the error " +
      "names the holder and when it expires: do other work meanwhile. Acquiring again as the same holder extends it.",
    input: {
      name: leaseName,
      holder: z.string().describe("Who takes it: your agent id (from agent_spawn) or another name unique to you."),
      ttlMs: ttlMs(`How long it lasts without lease_renew, in milliseconds (1 to ${MAX_TTL_MS}); e.g. 60000.`),
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    run: async (args) => {
      const l = await store.leases.acquire(args.name, { holder: args.holder, ttlMs: args.ttlMs });
      return { name: l.name, holder: l.holder, token: l.token, expiresAt: l.expiresAt };
    },
  });

  defineTool(ctx, "lease_renew", {
    description:
      "Extend a lease you hold by its ttl (or ttlMs) from now, keeping its token. Call it well before expiresAt while " +
      "the work goes on; an error means you no longer hold it: stop the work it guards.",
    input: { name: leaseName, token, ttlMs: ttlMs("A new duration in milliseconds (default: the one it was acquired with).").optional() },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    run: async (args) => {
      const l = await store.leases.renew(args.name, { token: args.token, ...(args.ttlMs !== undefined && { ttlMs: args.ttlMs }) });
      return { name: l.name, holder: l.holder, token: l.token, expiresAt: l.expiresAt };
    },
  });

  defineTool(ctx, "lease_release", {
    description: "Give up a lease you hold so another agent can take it at once. released is false if it had already expired.",
    input: { name: leaseName, token },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    run: async (args) => ({ name: args.name, released: await store.leases.release(args.name, { token: args.token }) }),
  });
}
