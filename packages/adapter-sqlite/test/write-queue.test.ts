import { readdirSync, writeFileSync } from "node:fs";
import { SqliteAdapter } from "@statehouse/adapter-sqlite";
import { WAIT_TICKET_NAME } from "@statehouse/core/spi";
import { waitForLine } from "@statehouse/conformance/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type ChildResult, killChildren, runChild, sized, sleep, tempDir } from "./helpers.js";

afterEach(killChildren);

function tickets(file: string): number {
  try {
    return readdirSync(`${file}-waiters`).filter((n) => WAIT_TICKET_NAME.test(n)).length;
  } catch {
    return 0;
  }
}

describe("sqlite adapter: the fair write queue across processes", () => {
  it("writers that found the lock busy commit in the order they arrived", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = `${dir}/fifo.db`;
      const init = new SqliteAdapter(file);
      await init.transact((tx) => tx.put("state", "counter", { n: 0 }));
      await init.close();
      const holder = runChild("hold-lock-until.mjs", [file], { timeoutMs: 60_000 });
      await waitForLine(holder.child, "locked");
      const writers: Promise<ChildResult>[] = [];
      const WRITERS = 6;
      for (let i = 0; i < WRITERS; i++) {
        writers.push(runChild("state-increment.mjs", [file], { timeoutMs: 60_000 }).done);
        // Each writer is queued (its ticket is there) before the next starts.
        const deadline = Date.now() + 30_000;
        while (tickets(file) < i + 1) {
          if (Date.now() > deadline) throw new Error(`writer ${i} never queued`);
          await sleep(5);
        }
        await sleep(3);
      }
      writeFileSync(`${file}.release`, "");
      expect((await holder.done).code).toBe(0);
      const revisions = (await Promise.all(writers)).map((r) => {
        expect(r.code, r.stderr).toBe(0);
        return (JSON.parse(r.stdout.trim()) as { revision: number }).revision;
      });
      // The first writer's increment is the first commit after the holder's, and so on.
      const sorted = [...revisions].sort((a, b) => a - b);
      expect(revisions).toEqual(sorted);
      expect(new Set(revisions).size).toBe(WRITERS);
      expect(tickets(file)).toBe(0);
    } finally {
      cleanup();
    }
  });

  it("12 processes incrementing one counter through the adapter: no increment lost or applied twice, none refused", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = `${dir}/many.db`;
      await new SqliteAdapter(file).close();
      const [processes, count] = [12, sized(40, 200)];
      const startAt = String(Date.now() + 1500);
      const results = await Promise.all(
        Array.from(
          { length: processes },
          () => runChild("increment.mjs", [file, String(count), "adapter", startAt], { timeoutMs: 170_000 }).done,
        ),
      );
      let done = 0;
      for (const r of results) {
        expect(r.code, r.stderr).toBe(0);
        const out = JSON.parse(r.stdout.trim()) as { done: number; errors: number; codes: Record<string, number> };
        expect(out.errors, JSON.stringify(out.codes)).toBe(0);
        done += out.done;
      }
      expect(done).toBe(processes * count);
      const check = new SqliteAdapter(file);
      try {
        expect((await check.get("counters", "c"))?.value).toEqual({ n: processes * count });
        // One change set per increment: none applied twice.
        expect(await check.sequence()).toBe(processes * count);
      } finally {
        await check.close();
      }
      expect(tickets(file)).toBe(0);
    } finally {
      cleanup();
    }
  });
});
