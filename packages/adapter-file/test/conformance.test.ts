import { runConformanceSuite } from "@statehouse/conformance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The whole published suite, in the default (strict) durability. Relaxed differs only in skipping
// fsync, which no clause can observe without pulling the power; it runs the same code otherwise.
runConformanceSuite({
  name: "file",
  test: { describe, it, expect, beforeAll, afterAll },
  storeUrl: (dir) => `file:${dir}/store`,
  adapterOptions: { durability: "strict" },
});
