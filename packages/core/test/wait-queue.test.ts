import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningChild, evalChild, killChildren, sleep, tempDir, waitForLine } from "@statehouse/conformance/testing";
import { WAIT_IDLE_NAME, WAIT_TICKET_NAME, WaitQueue } from "@statehouse/core/spi";
import { afterAll, afterEach, describe, expect, it } from "vitest";

const CORE = fileURLToPath(new URL("..", import.meta.url));

// A real process waiting in the queue for a plain lock (a directory made by mkdir, which is no
// queue): it joins, prints "queued", takes the lock when the queue says it may, logs its name
// in the order it got the lock, holds it for holdMs, releases it and wakes the next in line.
const WAITER = `
import { appendFileSync, mkdirSync, rmdirSync } from "node:fs";
import { WaitQueue } from "@statehouse/core/spi";
const [dir, lock, log, staleMs, holdMs, name] = process.argv.slice(1);
const queue = new WaitQueue({ dir, staleMs: Number(staleMs) });
const tryLock = () => {
  try {
    mkdirSync(lock);
    return true;
  } catch (err) {
    if (err.code === "EEXIST") return false;
    throw err;
  }
};
queue.join();
if (!queue.joined) throw new Error("no ticket");
console.log("queued");
for (;;) {
  if (queue.mayAttempt() && tryLock()) break;
  await queue.wait(queue.rank === 0 ? 50 : 20);
}
queue.leave();
appendFileSync(log, name + "\\n");
await new Promise((r) => setTimeout(r, Number(holdMs)));
rmdirSync(lock);
queue.wakeHead();
queue.dispose();
`;

describe("WaitQueue across real processes", () => {
  const tmp = tempDir("wait-queue");
  const root = tmp.dir;
  let n = 0;

  afterEach(() => killChildren());
  afterAll(() => tmp.cleanup());

  /** A fresh queue directory and lock held by this process; waiters are started one after another, each queued before the next starts. */
  async function setup(count: number, staleMs: number, holdMs = 2) {
    const base = join(root, `q${n++}`);
    mkdirSync(base);
    const dir = join(base, "waiters");
    const lock = join(base, "lock");
    const log = join(base, "order.log");
    mkdirSync(lock);
    const children: RunningChild[] = [];
    for (let i = 0; i < count; i++) {
      const c = evalChild(WAITER, [dir, lock, log, String(staleMs), String(holdMs), `w${i}`], { cwd: CORE, timeoutMs: 60_000 });
      await waitForLine(c.child, "queued");
      children.push(c);
      // Tickets are named by arrival in milliseconds: keep the arrivals apart.
      await sleep(3);
    }
    const release = () => {
      rmdirSync(lock);
      new WaitQueue({ dir, staleMs }).wakeHead();
    };
    const order = () => readFileSync(log, "utf8").trim().split("\n");
    return { dir, children, release, order };
  }

  it("8 processes get the lock in arrival order, even after waiting 1 s with staleMs 300 (a live head keeps its turn)", async () => {
    const q = await setup(8, 300);
    await sleep(1_000);
    q.release();
    const results = await Promise.all(q.children.map((c) => c.done));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(q.order()).toEqual(["w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7"]);
    // Every ticket was given back, every idle file removed, and the last to leave removed the directory.
    expect(existsSync(q.dir)).toBe(false);
  });

  it("kill -9 of the head and of a waiter in the middle: the others are served in order, without waiting for staleMs", async () => {
    const q = await setup(5, 60_000);
    for (const i of [0, 2]) {
      const c = q.children[i]!;
      c.child.kill("SIGKILL");
      expect((await c.done).signal).toBe("SIGKILL");
    }
    const started = Date.now();
    q.release();
    const results = await Promise.all([1, 3, 4].map((i) => q.children[i]!.done));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(q.order()).toEqual(["w1", "w3", "w4"]);
    // Far less than staleMs (60 s): the dead tickets were removed by liveness, not waited out.
    expect(Date.now() - started).toBeLessThan(20_000);
    // The killed waiters' files were swept: nothing is left, not even the directory.
    expect(existsSync(q.dir) ? readdirSync(q.dir).filter((f) => WAIT_TICKET_NAME.test(f) || WAIT_IDLE_NAME.test(f)) : []).toEqual([]);
    expect(existsSync(q.dir)).toBe(false);
  });

  it("a stopped head (SIGSTOP) holds the others back only for staleMs", async () => {
    const q = await setup(3, 500);
    const head = q.children[0]!;
    head.child.kill("SIGSTOP");
    try {
      const started = Date.now();
      q.release();
      const results = await Promise.all([1, 2].map((i) => q.children[i]!.done));
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      expect(q.order().sort()).toEqual(["w1", "w2"]);
    } finally {
      head.child.kill("SIGCONT");
    }
    const last = await head.done;
    expect(last.code, last.stderr).toBe(0);
    expect(q.order().at(-1)).toBe("w0");
  });
});
