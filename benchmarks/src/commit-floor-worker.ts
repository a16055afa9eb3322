/**
 * One of the N processes of the concurrent commit floor: the least a process can do to add one to
 * a durable counter that N processes share, in a fair queue, without statehouse. The lock is a
 * token passed round a ring of FIFOs: worker i blocks in the kernel reading its own FIFO (no
 * polling, and only the next in line is woken), increments, and writes the token into worker
 * i+1's FIFO: first come, first served under full contention, each waiter sitting through the
 * others' turns, as statehouse's fair queues do. Under the token the counter's 20 bytes are read
 * and overwritten in place and, when strict, fdatasync'ed: no new file, no rename, no log. The
 * loop and its report: worker-loop.ts.
 */
import { closeSync, fdatasyncSync, openSync, readSync, writeSync } from "node:fs";
import { runIncrementWorker } from "./worker-loop.js";

const [ringPrefix, counterFile, countText, fsyncText, procsText, indexText] = process.argv.slice(2);
const durable = fsyncText === "1";
const procs = Number(procsText);
const index = Number(indexText);
/** The counter as fixed-width decimal text, so that an in-place overwrite never leaves a tail (the scenario writes the same width). */
const COUNTER_WIDTH = 20;
const token = Buffer.alloc(1);
const text = Buffer.alloc(COUNTER_WIDTH);

function read(fd: number): number {
  readSync(fd, text, 0, COUNTER_WIDTH, 0);
  return Number(text.toString("latin1").trim());
}

runIncrementWorker(async () => {
  // O_RDWR: opening a FIFO this way never blocks, and keeps it open whoever else closes.
  const mine = openSync(`${ringPrefix}${index}`, "r+");
  const next = openSync(`${ringPrefix}${(index + 1) % procs}`, "r+");
  const counter = openSync(counterFile!, "r+");
  return {
    increment: async () => {
      // A blocking read: this worker has nothing else to do while it waits for its turn.
      while (readSync(mine, token, 0, 1, null) !== 1) {}
      try {
        writeSync(counter, String(read(counter) + 1).padStart(COUNTER_WIDTH), 0, "latin1");
        if (durable) fdatasyncSync(counter);
      } finally {
        writeSync(next, token);
      }
    },
    warm: async () => read(counter),
    close: async () => {
      for (const fd of [mine, next, counter]) closeSync(fd);
    },
  };
}, Number(countText));
