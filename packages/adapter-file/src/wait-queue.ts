import { randomBytes } from "node:crypto";
import { type FSWatcher, closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, watch } from "node:fs";
import { join } from "node:path";
import { DIR_MODE, FILE_MODE, unlinkQuietly } from "./atomic-file.js";
import type { Layout } from "./layout.js";
import { SELF, isGone } from "./process-info.js";

export const TICKET_NAME = /^(\d{15})-(\d+)-(\d*)-[0-9a-f]{8}\.ticket$/;

/**
 * First come, first served among waiting processes. proper-lockfile's retries are a free-for-all:
 * with 25 writers, an unlucky one can lose every race for seconds. A waiter here takes a ticket (a
 * file named by its arrival time) and only the oldest live ticket tries the lock; the others sleep
 * until the lock directory goes away (inotify through fs.watch, with a timer as a fallback). A
 * ticket whose process is gone is removed by whoever finds it at the head; a head that has not
 * moved for `staleMs` (a stopped process) no longer holds the others back.
 */
export class WaitQueue {
  private ticket: string | undefined;
  private watcher: FSWatcher | undefined;
  private wake: (() => void) | undefined;
  private watchFailed = false;

  constructor(
    private readonly layout: Layout,
    private readonly staleMs: number,
  ) {}

  private get dir(): string {
    return join(this.layout.root, "waiters");
  }

  private tickets(): string[] {
    try {
      return readdirSync(this.dir)
        .filter((n) => TICKET_NAME.test(n))
        .sort();
    } catch {
      return [];
    }
  }

  /** Whether this process may try the lock now. */
  mayAttempt(): boolean {
    const names = this.tickets();
    const mine = this.ticket === undefined ? undefined : this.ticket.slice(this.dir.length + 1);
    for (const name of names) {
      if (name === mine) return true;
      const m = TICKET_NAME.exec(name)!;
      if (isGone(Number(m[2]), m[3] ?? "")) {
        unlinkQuietly(join(this.dir, name));
        continue;
      }
      // A live waiter arrived first: its turn, unless it has been stuck there too long.
      return Date.now() - Number(m[1]) > this.staleMs;
    }
    return true;
  }

  /** Takes a ticket (once). Without one (a full disk, a read-only store) the waiter just polls. */
  join(): void {
    if (this.ticket !== undefined) return;
    try {
      mkdirSync(this.dir, { mode: DIR_MODE });
    } catch {
      // exists already, or cannot be made: then the ticket below fails too, and we poll
    }
    const name = `${String(Date.now()).padStart(15, "0")}-${SELF.pid}-${SELF.start}-${randomBytes(4).toString("hex")}.ticket`;
    try {
      closeSync(openSync(join(this.dir, name), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, FILE_MODE));
      this.ticket = join(this.dir, name);
    } catch {
      // polling without a place in the queue still makes progress
    }
  }

  /** Sleeps until the lock directory disappears or `ms` pass. */
  wait(ms: number): Promise<void> {
    this.ensureWatcher();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        if (self.wake === done) self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }

  private ensureWatcher(): void {
    if (this.watcher !== undefined || this.watchFailed) return;
    try {
      this.watcher = watch(this.layout.root, { persistent: false }, (_event, name) => {
        if (name !== null && name !== "lock") return;
        // Only a release is worth waking for; the lock being taken again is not.
        if (name === "lock" && existsSync(this.layout.lockDir)) return;
        this.wake?.();
      });
      this.watcher.on("error", () => {
        this.watchFailed = true;
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      this.watchFailed = true;
    }
  }

  get position(): "head" | "behind" {
    return this.ticket !== undefined && this.tickets()[0] === this.ticket.slice(this.dir.length + 1) ? "head" : "behind";
  }

  leave(): void {
    if (this.ticket !== undefined) unlinkQuietly(this.ticket);
    this.ticket = undefined;
    this.watcher?.close();
    this.watcher = undefined;
    this.wake = undefined;
  }
}
