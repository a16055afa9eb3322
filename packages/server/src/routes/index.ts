import type { StoreApi } from "@statehouse/core";
import type { FastifyInstance } from "fastify";
import type { EventHub } from "../events.js";
import { eventRoutes } from "./events.js";
import { metaRoutes } from "./meta.js";
import { recordRoutes } from "./records.js";
import { stateRoutes } from "./state.js";

export interface RouteContext {
  readonly store: StoreApi;
  readonly storeUrl: string;
  readonly version: string;
  readonly hub: EventHub;
  readonly openapi: () => object;
}

export function registerRoutes(app: FastifyInstance, ctx: RouteContext): void {
  metaRoutes(app, ctx);
  stateRoutes(app, ctx.store);
  recordRoutes(app, ctx.store);
  eventRoutes(app, ctx);
}
