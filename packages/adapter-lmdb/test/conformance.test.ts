import { runConformanceSuite } from "@statehouse/conformance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LmdbAdapterOptions } from "../dist/index.js";

const test = { describe, it, expect, beforeAll, afterAll };
const storeUrl = (dir: string) => `lmdb:${dir}/env`;

// The whole published suite in the default configuration (strict, no overlappingSync). The other
// write paths differ in the flags of the commit and in when the flush happens, which no clause can
// observe without cutting the power; quick runs cover them with this package's own tests (model
// based, lost update, crash loop), torture runs with the whole suite as well.
const torture = process.env.STATEHOUSE_TORTURE === "1";

runConformanceSuite({
  name: "lmdb",
  test,
  storeUrl,
  adapterOptions: { durability: "strict" },
});

if (torture) {
  runConformanceSuite({ name: "lmdb (relaxed)", test, storeUrl, adapterOptions: { durability: "relaxed" } });
  const overlapping: LmdbAdapterOptions = { durability: "strict", overlappingSync: true };
  runConformanceSuite({ name: "lmdb (overlappingSync)", test, storeUrl, adapterOptions: overlapping });
}
