import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import "./fixtures/register-rewind-sqlite.mjs";
import "./fixtures/register-stale-sqlite.mjs";
import { runSuite } from "./helpers/run-suite.js";

// The multi-process clauses must be able to fail: an adapter whose processes each serve what
// they cached loses increments across processes and reads stale data.
const register = fileURLToPath(new URL("./fixtures/register-stale-sqlite.mjs", import.meta.url));

describe("the multi-process harness detects a stale per-process cache", () => {
  it("fails lost-update (while its control still loses updates) and freshness", async () => {
    const outcomes = await runSuite("stale-sqlite", ["lost-update", "freshness"], { childImports: [register] });
    const byName = (part: string) => outcomes.find((o) => o.name.includes(part));
    expect(byName("read-modify-write increments in transact")?.status).toBe("failed");
    expect(byName("read-modify-write increments in transact")?.error).toMatch(/final counter|acknowledged/);
    expect(byName("control:")?.status).toBe("passed");
    expect(byName("rounds: process A writes")?.status).toBe("failed");
    expect(byName("rounds: process A writes")?.error).toMatch(/stale reads/);
  });
});

// The open-under-write clause must be able to fail: an adapter whose open() puts back what it read
// when it began opening loses the commits other processes made meanwhile.
const rewind = fileURLToPath(new URL("./fixtures/register-rewind-sqlite.mjs", import.meta.url));

describe("the open-under-write harness detects an open that rewinds other processes' commits", () => {
  it("fails open-under-write, naming what the writers or the opener saw", async () => {
    const outcomes = await runSuite("rewind-sqlite", ["open-under-write"], { childImports: [rewind] });
    expect(outcomes.map((o) => o.status)).toEqual(["failed"]);
    expect(outcomes[0]?.error).toMatch(/writer errors|opener errors/);
  });
});
