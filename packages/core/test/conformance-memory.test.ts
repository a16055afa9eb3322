import { runConformanceSuite } from "@statehouse/conformance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The reference adapter runs the whole published suite. Its store lives in one process and
// does not persist, so the multi-process, persistence and filesystem groups skip, each saying why.
runConformanceSuite({
  name: "memory",
  test: { describe, it, expect, beforeAll, afterAll },
  storeUrl: () => "memory:",
});
