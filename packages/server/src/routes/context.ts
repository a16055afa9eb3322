import type { StoreApi } from "@statehouse/core";
import type { EventHub } from "../events.js";

/** What every route module gets; its own file so that route modules never import the index that registers them. */
export interface RouteContext {
  readonly store: StoreApi;
  readonly storeUrl: string;
  readonly version: string;
  readonly hub: EventHub;
  readonly openapi: () => object;
}
