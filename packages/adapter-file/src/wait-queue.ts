import { randomBytes } from "node:crypto";
import { type FSWatcher, closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, renameSync, watch } from "node:fs";
import { join } from "node:path";
import { DIR_MODE, FILE_MODE, unlinkQuietly } from "./atomic-file.js";
import type { Layout } from "./layout.js";
import { SELF, isGone } from "./process-info.js";

export const TICKET_NAME = /^(\d{15})-(\d+)-(\d*)-[0-9a-f]{8}\.ticket$/;
export const IDLE_NAME = /^(\d+)-(\d*)-[0-9a-f]{8}\.idle$/;

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

  /** Whether any process is queued (then a lease must end). */
  hasWaiters(): boolean {
    return this.tickets().length > 0;
  }

  /** Place in the queue at the last look: 0 is the head. */
  rank = 0;

  /** Whether this waiter holds a ticket (its rank is then its place among the tickets). */
  get joined(): boolean {
    return this.ticket !== undefined;
  }

  /** Whether this process may try the lock now. */
  mayAttempt(): boolean {
    const names = this.tickets();
    const mine = this.ticket === undefined ? undefined : this.ticket.slice(this.dir.length + 1);
    let live = 0;
    let headAge = 0;
    for (const name of names) {
      if (name === mine) break;
      const m = TICKET_NAME.exec(name)!;
      if (live === 0 && isGone(Number(m[2]), m[3] ?? "")) {
        unlinkQuietly(join(this.dir, name));
        continue;
      }
      if (live === 0) headAge = Date.now() - Number(m[1]);
      live++;
    }
    this.rank = live;
    // A live waiter arrived first: its turn, unless it has been stuck at the head too long.
    return live === 0 || headAge > this.staleMs;
  }

  /**
   * Takes a ticket (once). Tickets are made by renaming this waiter's idle file (created on its
   * first wait, and renamed back when it leaves): a rename costs far less than creating a file.
   * Without a ticket (a full disk, a read-only store) the waiter still polls.
   */
  join(): void {
    if (this.ticket !== undefined) return;
    const name = `${String(Date.now()).padStart(15, "0")}-${SELF.pid}-${SELF.start}-${randomBytes(4).toString("hex")}.ticket`;
    try {
      renameSync(this.idleFile(), join(this.dir, name));
      this.ticket = join(this.dir, name);
    } catch {
      // polling without a place in the queue still makes progress
    }
  }

  private idle: string | undefined;

  private idleFile(): string {
    if (this.idle !== undefined) return this.idle;
    try {
      mkdirSync(this.dir, { mode: DIR_MODE });
    } catch {
      // exists already, or cannot be made (then the open below fails too)
    }
    const path = join(this.dir, `${SELF.pid}-${SELF.start}-${randomBytes(4).toString("hex")}.idle`);
    closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, FILE_MODE));
    this.idle = path;
    return path;
  }

  /** Sleeps until the lock directory disappears (for the first few in the queue) or `ms` pass. */
  wait(ms: number): Promise<void> {
    // Only the head and the next two are woken by a release: waking all would be a thundering
    // herd of 25 processes for one lock. The rest poll, and move up meanwhile.
    if (this.rank <= 2) this.ensureWatcher();
    else this.closeWatcher();
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

  private closeWatcher(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  leave(): void {
    if (this.ticket !== undefined) {
      try {
        renameSync(this.ticket, this.idle!);
      } catch {
        unlinkQuietly(this.ticket);
        this.idle = undefined;
      }
    }
    this.ticket = undefined;
    this.closeWatcher();
    this.wake = undefined;
  }

  /** Removes the idle file (the adapter is closing). */
  dispose(): void {
    this.leave();
    if (this.idle !== undefined) unlinkQuietly(this.idle);
    this.idle = undefined;
  }
}
