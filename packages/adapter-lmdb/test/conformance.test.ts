import { runConformanceSuite } from "@statehouse/conformance";
import { TORTURE, forEachDurability } from "@statehouse/conformance/testing";
import type { LmdbAdapterOptions } from "@statehouse/adapter-lmdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The whole published suite once per durability mode of the test kit: strict always, relaxed in
// torture runs. The other write paths differ in the flags of the commit and in when the flush
// happens, which no clause can observe without cutting the power; quick runs cover them with this
// package's own tests (model based, lost update, crash loop), torture runs with the whole suite
// with overlappingSync as well.
forEachDurability((durability) => {
  runConformanceSuite({
    name: durability === "strict" ? "lmdb" : "lmdb (relaxed)",
    test: { describe, it, expect, beforeAll, afterAll },
    storeUrl: (dir) => `lmdb:${dir}/env`,
    adapterOptions: { durability },
  });
});

if (TORTURE) {
  const overlapping: LmdbAdapterOptions = { durability: "strict", overlappingSync: true };
  runConformanceSuite({
    name: "lmdb (overlappingSync)",
    test: { describe, it, expect, beforeAll, afterAll },
    storeUrl: (dir) => `lmdb:${dir}/env`,
    adapterOptions: overlapping,
  });
}
