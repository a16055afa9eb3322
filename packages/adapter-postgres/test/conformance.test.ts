import { createHash } from "node:crypto";
import { runConformanceSuite } from "@statehouse/conformance";
import { forEachDurability } from "@statehouse/conformance/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, skipReason, withDatabase } from "./helpers.js";

// The whole published suite against a real server. Each clause gets a fresh directory from the
// suite; its store is a schema named after that directory in this file's own database, so
// clauses never see each other's data and a reopen (same directory) finds the same store. Child
// processes open the same URL with their own pool, as clients on other machines would.
const reason = skipReason();
if (reason !== undefined) {
  describe("statehouse conformance: postgres", () => {
    it.skip(`skipped: ${reason}`, () => undefined);
  });
} else {
  const db = await createTestDatabase({ empty: true });
  const storeUrl = (dir: string) =>
    withDatabase(db.url, db.name, { schema: `s_${createHash("sha256").update(dir).digest("hex").slice(0, 20)}` });
  afterAll(() => db.drop());
  // Once per durability mode of the test kit: strict always, relaxed in torture runs.
  forEachDurability((durability) => {
    runConformanceSuite({
      name: durability === "strict" ? "postgres" : "postgres (relaxed)",
      test: { describe, it, expect, beforeAll, afterAll },
      storeUrl,
      adapterOptions: { durability },
    });
  });
}
