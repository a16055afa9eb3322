import type { FastifyInstance } from "fastify";
import { eventRoutes } from "./events.js";
import { leaseRoutes } from "./leases.js";
import { metaRoutes } from "./meta.js";
import { recordRoutes } from "./records.js";
import { stateRoutes } from "./state.js";
import type { RouteContext } from "./context.js";

export type { RouteContext } from "./context.js";

export function registerRoutes(app: FastifyInstance, ctx: RouteContext): void {
  metaRoutes(app, ctx);
  stateRoutes(app, ctx.store);
  recordRoutes(app, ctx.store);
  leaseRoutes(app, ctx.store);
  eventRoutes(app, ctx);
}
