import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FileAdapter } from "@statehouse/adapter-file";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Child, TORTURE, deadOwner, removeDir, tempDir } from "./helpers.js";

const RACERS = 16;
const TRIALS = 30;
const HOLD_MS = 15;

/** TESTPLAN "stale lock race": a stale lock, 16 processes race for it, count trials with two holders at once. */
async function race(
  racers: Child[],
  root: string,
  mode: "store" | "plain" | "ownerless",
  trials: number,
  stopAtFirst = false,
): Promise<number> {
  let bad = 0;
  for (let trial = 0; trial < trials && !(stopAtFirst && bad > 0); trial++) {
    const dir = join(root, `${mode}-${trial}`);
    mkdirSync(dir, { mode: 0o700 });
    const old = new Date(Date.now() - 3_600_000);
    if (mode === "plain") {
      // proper-lockfile's lock directory for DIR is DIR.lock; an hour old, so stale.
      mkdirSync(`${dir}.lock`);
      utimesSync(`${dir}.lock`, old, old);
    } else {
      mkdirSync(join(dir, "lock"), { mode: 0o700 });
      if (mode === "store") {
        // A dead holder's record; the directory's mtime is fresh, so only the pid says it is stale.
        writeFileSync(join(dir, "lock", "owner"), deadOwner(), { mode: 0o600 });
      } else {
        utimesSync(join(dir, "lock"), old, old);
      }
    }
    for (const r of racers) r.send(`${dir} ${mode === "plain" ? "plain" : "store"}`);
    const results = await Promise.all(racers.map((r) => r.next("done", 60_000)));
    if (results.some((m) => m.twoHolders === true)) bad++;
  }
  return bad;
}

describe("file adapter lock: stale lock race (TESTPLAN)", () => {
  let root: string;
  let racers: Child[];

  beforeAll(async () => {
    root = tempDir("race");
    racers = Array.from({ length: RACERS }, () => new Child("racer", { holdMs: HOLD_MS }));
    await Promise.all(racers.map((r) => r.next("ready")));
  });

  afterAll(async () => {
    for (const r of racers) r.kill();
    await Promise.all(racers.map((r) => r.exit));
    removeDir(root);
  });

  it(`${RACERS} processes race for a lock left by a dead process, ${TRIALS} trials: 0 trials with two holders at once`, async () => {
    expect(await race(racers, root, "store", TRIALS)).toBe(0);
    for (const r of racers) expect(r.messages.filter((m) => m.t === "fatal" || m.t === "unhandled")).toEqual([]);
  });

  it(`the same for an abandoned lock directory without an owner record (${TRIALS / 3} trials): 0 trials with two holders`, async () => {
    expect(await race(racers, root, "ownerless", TRIALS / 3)).toBe(0);
  });

  it(`control: plain proper-lockfile (stale 2 s, retries) does let two holders in, in at least 1 of ${TRIALS} trials`, async () => {
    // Quick runs stop at the first trial with two holders; full runs count all 30.
    const bad = await race(racers, root, "plain", TRIALS, !TORTURE);
    console.log(
      `[adapter-file] plain proper-lockfile: ${bad} stale-lock race(s) with two holders at once${TORTURE ? ` in ${TRIALS}` : ""}`,
    );
    expect(bad).toBeGreaterThan(0);
  });
});

describe("file adapter lock: holders that die or stop (TESTPLAN)", () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir("holders");
  });
  afterAll(() => removeDir(dir));

  it("holder killed: SIGKILL the lock holder; a waiting writer proceeds within 2 s", async () => {
    const store = join(dir, "killed");
    await (await FileAdapter.open(store)).close();
    const holder = new Child("holder", { store });
    await holder.next("held");
    const writer = new Child("writer", { store, name: "waiter" });
    await writer.next("trying");
    // The writer is now retrying against a live holder; it must not get in while the holder lives.
    await new Promise((r) => setTimeout(r, 500));
    expect(writer.messages.some((m) => m.t === "committed")).toBe(false);
    const killedAt = Date.now();
    holder.kill("SIGKILL");
    const done = await writer.next("committed", 10_000);
    await writer.exit;
    await holder.exit;
    const waited = (done.at as number) - killedAt;
    console.log(`[adapter-file] holder killed: the waiter got the lock ${waited} ms after SIGKILL`);
    expect(waited).toBeLessThanOrEqual(2_000);
    const a = await FileAdapter.open(store);
    expect((await a.get("race", "winner"))?.value).toEqual({ by: "waiter" });
    await a.close();
  });

  it("a queue that moves never times out: 8 writers holding the lock 400 ms each, lock timeout 1.5 s, all commit in turn", async () => {
    const store = join(dir, "long-queue");
    await (await FileAdapter.open(store)).close();
    const writers = Array.from(
      { length: 8 },
      (_, i) => new Child("queued-writer", { store, lockTimeoutMs: 1_500, spinMs: 400, name: `w${i}` }),
    );
    const tried = await Promise.all(writers.map((w) => w.next("trying", 30_000)));
    // A refused write (E_LOCK_TIMEOUT) makes its child exit without "committed": next() rejects, naming it.
    const outcomes = await Promise.all(writers.map((w) => w.next("committed", 60_000)));
    expect(outcomes.map((m) => Number(m.sequence)).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // The last writer waited longer than the lock timeout in all: only a moving queue kept it waiting.
    const lastWait = Math.max(...outcomes.map((m) => Number(m.at))) - Math.max(...tried.map((m) => Number(m.at)));
    expect(lastWait).toBeGreaterThan(1_500);
    for (const w of writers) expect((await w.exit).code).toBe(0);
  });

  it("stopped holder: SIGSTOP it inside its transaction past the stale time, a rival writes, SIGCONT: its write is refused, the rival's is kept, no crash", async () => {
    const store = join(dir, "stopped");
    const staleLockMs = 2_000;
    await (await FileAdapter.open(store)).close();
    const slow = new Child("slow-writer", { store, staleLockMs, spinMs: 1_000, name: "stopped" });
    await slow.next("in-tx");
    slow.kill("SIGSTOP");
    // Past the stale time, plus the second by which proper-lockfile may date its lock ahead.
    await new Promise((r) => setTimeout(r, staleLockMs + 1_500));
    const rival = new Child("writer", { store, staleLockMs, name: "rival" });
    const rivalDone = await rival.next("committed", 20_000);
    expect(rivalDone.sequence).toBe(1);
    slow.kill("SIGCONT");
    const outcome = await slow.next("refused", 20_000);
    expect(outcome.code).toBe("E_LOCK_TIMEOUT");
    await slow.next("exit", 20_000);
    expect((await slow.exit).code).toBe(0);
    expect((await rival.exit).code).toBe(0);
    expect(slow.messages.filter((m) => m.t === "committed" || m.t === "fatal" || m.t === "unhandled")).toEqual([]);
    const a = await FileAdapter.open(store);
    expect((await a.get("race", "winner"))?.value).toEqual({ by: "rival" });
    expect(await a.sequence()).toBe(1);
    expect((await a.check()).ok).toBe(true);
    await a.close();
  });
});
