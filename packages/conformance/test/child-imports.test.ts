import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import "./fixtures/register-via-sqlite.mjs";
import { runSuite } from "./helpers/run-suite.js";

// The README's third-party path end to end: a scheme registered by a module that the test
// process imports and that `childImports` makes every child process import before opening.
const register = fileURLToPath(new URL("./fixtures/register-via-sqlite.mjs", import.meta.url));

describe("a third-party scheme through childImports", () => {
  it("child processes register the scheme and pass the dirty-read and freshness groups", async () => {
    const outcomes = await runSuite("via-sqlite", ["dirty-read", "freshness"], { childImports: [register] });
    expect(outcomes.length).toBe(2);
    expect(outcomes.filter((o) => o.status !== "passed")).toEqual([]);
  });

  it("without childImports the children cannot open the scheme, and the clause fails", async () => {
    const outcomes = await runSuite("via-sqlite", ["freshness"]);
    expect(outcomes.length).toBe(1);
    expect(outcomes[0]!.status).toBe("failed");
    expect(outcomes[0]!.error).toMatch(/unknown store scheme "via-sqlite:"/);
  });
});
