import { runConformanceSuite } from "@statehouse/conformance";
import { forEachDurability } from "@statehouse/conformance/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The whole published suite once per durability mode of the test kit: strict always, relaxed in
// torture runs. Relaxed differs only in skipping fsync, which no clause can observe without
// pulling the power.
forEachDurability((durability) => {
  runConformanceSuite({
    name: durability === "strict" ? "file" : "file (relaxed)",
    test: { describe, it, expect, beforeAll, afterAll },
    storeUrl: (dir) => `file:${dir}/store`,
    adapterOptions: { durability },
  });
});
