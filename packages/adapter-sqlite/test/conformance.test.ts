import { runConformanceSuite } from "@statehouse/conformance";
import { forEachDurability } from "@statehouse/conformance/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The whole published suite once per durability mode of the test kit: strict always, relaxed in
// torture runs. Relaxed differs only in PRAGMA synchronous (no fsync of the WAL per commit), which
// no clause can observe without cutting the power; the adapter's own tests run both modes (crash
// loop, model-based).
forEachDurability((durability) => {
  runConformanceSuite({
    name: durability === "strict" ? "sqlite" : "sqlite (relaxed)",
    test: { describe, it, expect, beforeAll, afterAll },
    storeUrl: (dir) => `sqlite:${dir}/store.db`,
    adapterOptions: { durability },
  });
});
