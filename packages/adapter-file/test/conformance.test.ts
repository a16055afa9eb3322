import { runConformanceSuite } from "@statehouse/conformance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The whole published suite in the default (strict) durability. Relaxed differs only in skipping
// fsync, which no clause can observe without pulling the power, so it runs in torture runs only.
const modes = process.env.STATEHOUSE_TORTURE === "1" ? (["strict", "relaxed"] as const) : (["strict"] as const);
for (const durability of modes) {
  runConformanceSuite({
    name: durability === "strict" ? "file" : "file (relaxed)",
    test: { describe, it, expect, beforeAll, afterAll },
    storeUrl: (dir: string) => `file:${dir}/store`,
    adapterOptions: { durability },
  });
}
