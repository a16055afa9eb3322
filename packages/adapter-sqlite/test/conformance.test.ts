import { runConformanceSuite } from "@statehouse/conformance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The whole published suite in the default (strict) durability. Relaxed differs only in
// PRAGMA synchronous (no fsync of the WAL per commit), which no clause can observe without
// cutting the power; the adapter's own tests run both modes (crash loop, model-based), and a
// torture run (STATEHOUSE_TORTURE=1) runs the suite in relaxed mode too.
runConformanceSuite({
  name: "sqlite",
  test: { describe, it, expect, beforeAll, afterAll },
  storeUrl: (dir) => `sqlite:${dir}/store.db`,
  adapterOptions: { durability: "strict" },
});

if (process.env.STATEHOUSE_TORTURE === "1") {
  runConformanceSuite({
    name: "sqlite (relaxed)",
    test: { describe, it, expect, beforeAll, afterAll },
    storeUrl: (dir) => `sqlite:${dir}/store.db`,
    adapterOptions: { durability: "relaxed" },
  });
}
