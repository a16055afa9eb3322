import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { TORTURE, alive, cli, type Daemon, scratch, startDaemon, waitFor } from "./daemon-helpers.js";

// `statehouse serve` opens its store with group commit: over SQLite and LMDB, in strict durability
// (the mode group commit is for: one fsync per group instead of one per write), many processes'
// increments are exact, each its own revision and change set, and every acknowledged write
// survives kill -9 of the daemon. The file adapter has no transactGroup (daemon-concurrency.test.ts
// covers it, its writes committed one by one).
const LONG = 1_500_000;
// Each round restarts the daemon under 10 clients: 35-45 s a round at load 40 on the shared 2-core box.
const ROUNDS = TORTURE ? 20 : 3;
const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setup() {
  const s = scratch("sh-group-");
  cleanups.push(s.cleanup);
  return s;
}

async function daemonFor(store: string, env: Record<string, string>): Promise<Daemon> {
  const d = await startDaemon(store, [], { env });
  cleanups.unshift(() => {
    if (alive(d.info.pid)) process.kill(d.info.pid, "SIGKILL");
  });
  return d;
}

function worker(socket: string, count: number): Promise<{ done: number; errors: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(fixtures, "incr-worker.mjs"), "daemon", socket, String(count)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker exited ${code}: ${err}`))));
  });
}

/** The store read directly (no daemon) through `statehouse export`: its sequence and records. */
async function exported(store: string, env: Record<string, string>) {
  const r = await cli(["--no-daemon", "--store", store, "export"], { env });
  expect(r.code, r.stderr).toBe(0);
  const lines = r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const header = lines[0] as { sequence: number };
  const records = lines.filter((l) => l.collection !== undefined) as { collection: string; id: string; revision: number; value: unknown }[];
  return { sequence: header.sequence, records };
}

describe.each(["sqlite", "lmdb"])("statehouse serve over %s: group commit", (kind) => {
  const url = (dir: string) => (kind === "sqlite" ? `sqlite:${dir}/store.db` : `lmdb:${dir}/store`);

  it(
    "50 processes × 20 increments through the daemon, strict: exact, one revision and one sequence per increment",
    async () => {
      const s = setup();
      const store = url(s.dir);
      const d = await daemonFor(store, s.env);
      const results = await Promise.all(Array.from({ length: 50 }, () => worker(d.info.socket, 20)));
      expect(results.flatMap((r) => Object.keys(r.errors))).toEqual([]);
      expect(results.reduce((a, r) => a + r.done, 0)).toBe(1000);
      process.kill(d.info.pid, "SIGTERM");
      expect((await d.exited).code).toBe(0);
      const { sequence, records } = await exported(store, s.env);
      const doc = records.find((r) => r.collection === "state" && r.id === "global");
      expect(doc?.value).toEqual({ n: 1000 });
      expect(doc?.revision, "each grouped increment its own revision").toBe(1000);
      expect(sequence, "each grouped increment its own change set").toBe(1000);
    },
    LONG,
  );

  it(
    `${ROUNDS} rounds of kill -9 during grouped strict writes from 10 clients: every acknowledged write present`,
    async () => {
      const s = setup();
      const store = url(s.dir);
      let d = await daemonFor(store, s.env);
      const acked = new Map<number, number>();
      const codes = new Set<string>();
      const clients: ChildProcess[] = [];
      for (let id = 0; id < 10; id++) {
        const c = spawn(process.execPath, [join(fixtures, "crash-client.mjs"), d.info.socket, String(id)], {
          stdio: ["pipe", "pipe", "inherit"],
        });
        clients.push(c);
        cleanups.unshift(() => c.kill("SIGKILL"));
        let buf = "";
        c.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
          buf += chunk;
          for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
            // The fixture prints the test kit's JSON lines: {"t":"ack","value":N} or {"t":"err","code":…}.
            const line = JSON.parse(buf.slice(0, nl)) as { t: string; value?: number; code?: string };
            buf = buf.slice(nl + 1);
            if (line.t === "ack") acked.set(id, Math.max(acked.get(id) ?? 0, Number(line.value)));
            else codes.add(String(line.code));
          }
        });
      }
      const total = () => [...acked.values()].reduce((a, b) => a + b, 0);
      await waitFor("every client's first acknowledged write", () => acked.size === 10, 120_000);
      for (let round = 0; round < ROUNDS; round++) {
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 500));
        process.kill(d.info.pid, "SIGKILL");
        await d.exited;
        await new Promise((r) => setTimeout(r, 50));
        d = await daemonFor(store, s.env);
        const restarted = total();
        await waitFor(`round ${round}: writes acknowledged by the restarted daemon`, () => total() > restarted, 60_000);
      }
      for (const c of clients) c.stdin!.end();
      await Promise.all(clients.map((c) => new Promise((r) => c.on("close", r))));
      process.kill(d.info.pid, "SIGTERM");
      expect((await d.exited).code).toBe(0);
      expect(
        [...codes].filter((c) => c !== "E_UNAVAILABLE"),
        "errors other than E_UNAVAILABLE",
      ).toEqual([]);
      const { records } = await exported(store, s.env);
      const counters =
        (records.find((r) => r.collection === "state" && r.id === "global")?.value as { c?: Record<string, number> } | undefined)?.c ?? {};
      for (let id = 0; id < 10; id++) {
        // Every acknowledged increment is there; at most the ones in flight at each kill were applied unacknowledged.
        expect(counters[String(id)], `client ${id}`).toBeGreaterThanOrEqual(acked.get(id)!);
        expect(counters[String(id)], `client ${id}`).toBeLessThanOrEqual(acked.get(id)! + ROUNDS);
      }
    },
    LONG,
  );
});
