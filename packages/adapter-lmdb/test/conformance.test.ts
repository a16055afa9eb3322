import { runConformanceSuite } from "@statehouse/conformance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The whole published suite, in the default (strict) durability. Relaxed differs only in the
// flush of each commit (no clause can observe it without cutting the power); this package's
// own tests run both modes (model-based, crash loop, lost update).
runConformanceSuite({
  name: "lmdb",
  test: { describe, it, expect, beforeAll, afterAll },
  storeUrl: (dir) => `lmdb:${dir}/env`,
  adapterOptions: { durability: "strict" },
});
