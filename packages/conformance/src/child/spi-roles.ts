import { writeFileSync } from "node:fs";
import type { JsonValue, StorageAdapter } from "@statehouse/core";
import { openAdapterUrl } from "@statehouse/core/spi";
import type { ChildJob } from "../harness/job.js";
import { errorKind } from "../util/errors.js";
import type { ChildIo } from "./io.js";

export type Role = (job: ChildJob, io: ChildIo) => Promise<Record<string, unknown>>;

function num(job: ChildJob, name: string): number {
  const v = job.params[name];
  if (typeof v !== "number") throw new Error(`child parameter ${name} is missing`);
  return v;
}

function open(job: ChildJob): Promise<StorageAdapter> {
  return openAdapterUrl(job.url, job.adapterOptions);
}

/** Lets stdin events in: an adapter whose promises resolve at once would otherwise starve them. */
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function counterOf(value: JsonValue | undefined): number {
  return (value as { n?: number } | undefined)?.n ?? 0;
}

/** lost-update: read-modify-write increments inside one transaction each. */
const increment: Role = async (job, io) => {
  const a = await open(job);
  io.emit({ t: "ready" });
  await io.waitFor("go");
  let acked = 0;
  const errors: string[] = [];
  for (let i = 0; i < num(job, "increments"); i++) {
    try {
      await a.transact((tx) => {
        tx.put("counter", "c", { n: counterOf(tx.get("counter", "c")?.value) + 1 });
      });
      acked++;
    } catch (err) {
      errors.push(errorKind(err));
    }
  }
  await a.close();
  return { acked, errors };
};

/** lost-update control: the read happens outside the transaction, so concurrent increments can be lost. */
const incrementUnsafe: Role = async (job, io) => {
  const a = await open(job);
  io.emit({ t: "ready" });
  await io.waitFor("go");
  let acked = 0;
  const errors: string[] = [];
  for (let i = 0; i < num(job, "increments"); i++) {
    try {
      const n = counterOf((await a.get("counter", "c"))?.value) + 1;
      await a.transact((tx) => {
        tx.put("counter", "c", { n });
      });
      acked++;
    } catch (err) {
      errors.push(errorKind(err));
    }
  }
  await a.close();
  return { acked, errors };
};

/**
 * lock queue: one write whose transaction holds the write lock `spinMs`, opened with a short
 * `lockTimeoutMs`. A transaction without writes first: adapters may rehearse an instance's first
 * transaction outside the lock, and the slow turn must be taken under it.
 */
const slowTurn: Role = async (job, io) => {
  const a = await openAdapterUrl(job.url, { ...job.adapterOptions, lockTimeoutMs: num(job, "lockTimeoutMs") });
  await a.transact((tx) => tx.get("queue", "warm-up"));
  io.emit({ t: "ready" });
  await io.waitFor("go");
  const tried = Date.now();
  try {
    const r = await a.transact((tx) => {
      const until = Date.now() + num(job, "spinMs");
      while (Date.now() < until) {
        // a slow holder: the others wait behind it
      }
      tx.put("queue", `w${process.pid}`, { at: Date.now() });
    });
    return { ok: true, sequence: r.sequence ?? null, waitedMs: Date.now() - tried };
  } catch (err) {
    return { ok: false, error: errorKind(err), waitedMs: Date.now() - tried };
  } finally {
    await a.close();
  }
};

const ABORT = "conformance: aborted on purpose";

/** dirty read: transactions that write a marker (and 20 more records), spin, then throw. */
const dirtyWriter: Role = async (job, io) => {
  const a = await open(job);
  io.emit({ t: "ready" });
  await io.waitFor("go");
  let aborted = 0;
  let committed = 0;
  const unexpected: string[] = [];
  for (let i = 0; i < num(job, "transactions"); i++) {
    try {
      await a.transact((tx) => {
        tx.put("dirty", "marker", { dirty: i });
        for (let j = 0; j < 20; j++) tx.put("dirty", `m${j}`, { dirty: i });
        tx.put("dirty", "clean", { i: -1, dirty: true });
        // Hold the transaction open a little, so readers poll while it is in flight.
        const until = performance.now() + 1;
        while (performance.now() < until) {
          // spin
        }
        throw new Error(ABORT);
      });
      committed++;
    } catch (err) {
      if ((err as Error)?.message === ABORT) aborted++;
      else unexpected.push(errorKind(err));
    }
    // Real commits in between, so readers see the store move.
    await a.transact((tx) => tx.put("dirty", "clean", { i }));
  }
  await a.close();
  return { aborted, committed, unexpected };
};

/** dirty read: polls for the marker until told to stop. */
const dirtyReader: Role = async (job, io) => {
  const a = await open(job);
  io.emit({ t: "ready" });
  await io.waitFor("go");
  let reads = 0;
  let seen = 0;
  const errors: string[] = [];
  while (!io.pending()) {
    try {
      const marker = await a.get("dirty", "marker");
      const listed = await a.list("dirty", { prefix: "m" });
      const clean = await a.get("dirty", "clean");
      const counted = await a.count("dirty");
      reads++;
      if (
        marker !== undefined ||
        listed.records.length > 0 ||
        (clean?.value as { dirty?: boolean } | undefined)?.dirty === true ||
        counted > 1
      )
        seen++;
    } catch (err) {
      errors.push(errorKind(err));
    }
    if (reads % 20 === 0) await yieldToEvents();
  }
  await a.close();
  return { reads, seen, errors };
};

/** freshness: writes or reads on command, answering each. */
const freshPeer: Role = async (job, io) => {
  const a = await open(job);
  io.emit({ t: "ready" });
  for (;;) {
    const cmd = await io.next();
    if (cmd === undefined || cmd.cmd === "stop") break;
    if (cmd.cmd === "write") {
      const i = cmd.i as number;
      await a.transact((tx) => tx.put("fresh", "x", { i }, { index: { by: `k${i}` } }));
      io.emit({ t: "ack", i });
    } else if (cmd.cmd === "read") {
      const got = await a.get("fresh", "x");
      const listed = await a.list("fresh", { index: "by" });
      io.emit({
        t: "value",
        i: (got?.value as { i?: number } | undefined)?.i ?? null,
        listed: (listed.records[0]?.value as { i?: number } | undefined)?.i ?? null,
        sequence: await a.sequence(),
      });
    }
  }
  await a.close();
  return {};
};

/** At most this many error strings are kept per child; the rest are counted. */
const MAX_ERRORS = 20;

function recordError(errors: string[], error: string, dropped: { n: number }): void {
  if (errors.length < MAX_ERRORS) errors.push(error);
  else dropped.n++;
}

/**
 * open-under-write: read-modify-write increments of a shared total and this writer's own counter,
 * one transaction each, until told to stop. Reading its own counter other than what its last
 * acknowledged commit wrote means that commit vanished: recorded, and the loop goes on.
 */
const openWriter: Role = async (job, io) => {
  const own = `w${num(job, "writer")}`;
  const a = await open(job);
  io.emit({ t: "ready" });
  await io.waitFor("go");
  let acked = 0;
  let lastWritten = 0;
  const errors: string[] = [];
  const dropped = { n: 0 };
  while (!io.pending()) {
    let read = 0;
    try {
      await a.transact((tx) => {
        // A transaction may run its function more than once: the committed run's read counts.
        read = counterOf(tx.get("open-counter", own)?.value);
        const total = counterOf(tx.get("open-counter", "total")?.value);
        tx.put("open-counter", own, { n: read + 1 });
        tx.put("open-counter", "total", { n: total + 1 });
      });
      if (read !== lastWritten) {
        recordError(
          errors,
          `${own} read its own counter as ${read} after ${acked} acknowledged increments (its last commit wrote ${lastWritten})`,
          dropped,
        );
      }
      lastWritten = read + 1;
      acked++;
      if (acked === 1) io.emit({ t: "writing" });
    } catch (err) {
      recordError(errors, `${own}: ${errorKind(err)}`, dropped);
    }
    await yieldToEvents();
  }
  await a.close();
  if (dropped.n > 0) errors.push(`${own}: ${dropped.n} more errors`);
  return { acked, errors };
};

/**
 * open-under-write: opens and closes the store again and again while writers commit, reading the
 * shared total and the sequence each time: neither may ever go backwards.
 */
const reopener: Role = async (job, io) => {
  const opens = num(job, "opens");
  io.emit({ t: "ready" });
  await io.waitFor("go");
  let done = 0;
  let last = 0;
  let lastSequence = 0;
  const errors: string[] = [];
  const dropped = { n: 0 };
  for (let i = 0; i < opens; i++) {
    try {
      const a = await open(job);
      try {
        const total = counterOf((await a.get("open-counter", "total"))?.value);
        const sequence = await a.sequence();
        if (total < last) recordError(errors, `open ${i}: the total went back from ${last} to ${total}`, dropped);
        if (sequence < lastSequence) recordError(errors, `open ${i}: sequence() went back from ${lastSequence} to ${sequence}`, dropped);
        last = Math.max(last, total);
        lastSequence = Math.max(lastSequence, sequence);
      } finally {
        await a.close();
      }
      done++;
    } catch (err) {
      recordError(errors, `open ${i}: ${errorKind(err)}`, dropped);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
  }
  if (dropped.n > 0) errors.push(`${dropped.n} more errors`);
  return { opens: done, errors, last, lastSequence };
};

/**
 * crash loop: commits forever, printing an ack after each commit, until SIGKILLed. Each commit
 * writes a log record, this writer's counter and a shared total (a read-modify-write), so a torn
 * commit shows as a mismatch between them.
 */
const crashWriter: Role = async (job, io) => {
  const writer = num(job, "writer");
  const round = num(job, "round");
  const pad = "p".repeat(num(job, "padBytes"));
  await io.waitFor("go");
  const a = await open(job);
  io.emit({ t: "ready" });
  for (let n = 0; ; n++) {
    await a.transact((tx) => {
      const id = `r${round}w${writer}n${n}`;
      tx.put("crash", id, { round, writer, n, pad }, { index: { by: `r${round}-w${writer}-${String(n).padStart(6, "0")}` } });
      tx.put("crash-counter", `w${writer}`, { round, n });
      tx.put("crash-counter", "total", { n: counterOf(tx.get("crash-counter", "total")?.value) + 1 });
    });
    io.emit({ t: "ack", n });
  }
};

/**
 * crash control: the same loop with a plain, non-atomic writeFileSync of one JSON file. The text
 * is built once with a fixed-width counter patched in place, so nearly all of each iteration is
 * spent between the truncation and the end of the write: the window the harness must catch.
 */
const crashControlWriter: Role = async (job, io) => {
  const writer = num(job, "writer");
  const file = job.params.file as string;
  const text = Buffer.from(JSON.stringify({ writer, n: 1e9, pad: "p".repeat(num(job, "padBytes")) }));
  const at = text.indexOf("1000000000");
  await io.waitFor("go");
  io.emit({ t: "ready" });
  for (let n = 0; ; n++) {
    text.write(String(1e9 + n), at, "latin1");
    writeFileSync(file, text);
    io.emit({ t: "ack", n });
  }
};

export const SPI_ROLES: Record<string, Role> = {
  increment,
  "slow-turn": slowTurn,
  "increment-unsafe": incrementUnsafe,
  "dirty-writer": dirtyWriter,
  "dirty-reader": dirtyReader,
  "fresh-peer": freshPeer,
  "open-writer": openWriter,
  reopener,
  "crash-writer": crashWriter,
  "crash-control-writer": crashControlWriter,
};
