import { runConformanceSuite } from "@statehouse/conformance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The whole published suite in the default (strict) durability. Relaxed differs only in
// PRAGMA synchronous (no fsync of the WAL per commit), which no clause can observe without
// cutting the power; the adapter's own tests run both modes (crash loop, model-based).
runConformanceSuite({
  name: "sqlite",
  test: { describe, it, expect, beforeAll, afterAll },
  storeUrl: (dir) => `sqlite:${dir}/store.db`,
  adapterOptions: { durability: "strict" },
});
