import { randomBytes } from "node:crypto";
import {
  type FSWatcher,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  utimesSync,
  watch,
} from "node:fs";
import { join } from "node:path";
import { SELF, isGone } from "./process-info.js";

/** A waiter's ticket: `<arrival ms, 15 digits>-<pid>-<start ticks>-<random>.ticket`; names sort in arrival order. */
export const WAIT_TICKET_NAME = /^(\d{15})-(\d+)-(\d*)-[0-9a-f]{8}\.ticket$/;
/** A waiter's idle file (its ticket between waits): `<pid>-<start ticks>-<random>.idle`. */
export const WAIT_IDLE_NAME = /^(\d+)-(\d*)-[0-9a-f]{8}\.idle$/;

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/** Options of a `WaitQueue`. */
export interface WaitQueueOptions {
  /**
   * The queue's directory, chosen by the adapter (`<store>/waiters`, `<db file>-waiters`); made
   * (0700) on the first wait. Its files follow WAIT_TICKET_NAME and WAIT_IDLE_NAME, so a sweep can
   * remove those of dead processes.
   */
  dir: string;
  /**
   * A live head whose ticket has shown no sign of life (the head refreshes its ticket's mtime
   * while it tries) for this long is presumed stopped: the others may then try too. A head whose
   * process is gone is removed at once, whatever this says.
   */
  staleMs: number;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}

/**
 * First come, first served among processes waiting for a lock that is itself no queue (a lock
 * directory, SQLite's write lock, a robust mutex): with retries alone, 25 writers are a
 * free-for-all in which an unlucky one loses every race for seconds. A waiter takes a ticket (a
 * file named by its arrival time) and only the oldest live ticket (the head) tries the lock; the
 * others sleep. A releaser calls `wakeHead`, which touches the head's ticket: the head watches its
 * own ticket (inotify through fs.watch), so a release wakes the next in line and nobody else. Timers
 * cover a missed wake-up and let the others notice they have moved up. A ticket whose process is
 * gone is removed by whoever finds it at the head; a head that has shown no life for `staleMs` (a
 * stopped process) no longer holds the others back.
 *
 * The lock itself is not taken here: the caller tries it when `mayAttempt()` says so, and a
 * process that finds the lock free and nobody queued takes it without a ticket (a lone writer pays
 * one readdir per release, in `wakeHead`, and no file operation).
 */
export class WaitQueue {
  private ticket: string | undefined;
  private idle: string | undefined;
  private watcher: FSWatcher | undefined;
  private wake: (() => void) | undefined;
  private watchFailed = false;
  /** A wake-up arrived while this waiter was not sleeping. */
  private woken = false;
  private beat = 0;
  /** The head at the last look, and when this waiter first saw it there. */
  private head: { name: string; seen: number } | undefined;
  private readonly dir: string;
  private readonly staleMs: number;

  /** Place in the queue at the last look: 0 is the head. */
  rank = 0;

  constructor(options: WaitQueueOptions) {
    this.dir = options.dir;
    this.staleMs = options.staleMs;
  }

  private tickets(): string[] {
    // No directory, no waiters: the usual case of every uncontended commit's release. Asked
    // without an exception: readdirSync's ENOENT error cost ~15 µs to build (measured), a
    // tenth of a relaxed SQLite update. A directory made just after this look is a waiter
    // that joined just after it, which its own timers cover, as for any wake-up it misses.
    if (!existsSync(this.dir)) return [];
    try {
      return readdirSync(this.dir)
        .filter((n) => WAIT_TICKET_NAME.test(n))
        .sort();
    } catch {
      return [];
    }
  }

  /** Whether any process is queued (then a newcomer should queue too, and a lease must end). */
  hasWaiters(): boolean {
    return this.tickets().length > 0;
  }

  /** Whether this waiter holds a ticket (its rank is then its place among the tickets). */
  get joined(): boolean {
    return this.ticket !== undefined;
  }

  /** Whether this process may try the lock now: it is the head, or the head is stale. */
  mayAttempt(): boolean {
    const names = this.tickets();
    const mine = this.ticket === undefined ? undefined : this.ticket.slice(this.dir.length + 1);
    let live = 0;
    let headAge = 0;
    for (const name of names) {
      if (name === mine) break;
      const m = WAIT_TICKET_NAME.exec(name)!;
      if (live === 0) {
        if (isGone(Number(m[2]), m[3] ?? "")) {
          unlinkQuietly(join(this.dir, name));
          continue;
        }
        // The head's sign of life: the last refresh of its ticket, or when this waiter first saw
        // it at the head (a waiter that has just moved up has not refreshed its ticket yet).
        if (this.head?.name !== name) this.head = { name, seen: Date.now() };
        let shown = this.head.seen;
        try {
          shown = Math.max(shown, statSync(join(this.dir, name), { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
        } catch {
          // unreadable: judged by its arrival
        }
        headAge = Date.now() - shown;
      }
      live++;
    }
    this.rank = live;
    if (live === 0) this.heartbeat();
    // A live waiter arrived first: its turn, unless it has shown no life for too long.
    return live === 0 || headAge > this.staleMs;
  }

  /** The head shows it is alive (a quarter of staleMs apart at most, so never stale while it runs). */
  private heartbeat(): void {
    if (this.ticket === undefined || Date.now() - this.beat < this.staleMs / 4) return;
    this.beat = Date.now();
    try {
      const now = new Date();
      utimesSync(this.ticket, now, now);
    } catch {
      // removed as dead by a confused peer: mayAttempt still works from the names
    }
  }

  /**
   * Takes a ticket (once). Tickets are made by renaming this waiter's idle file (created on its
   * first wait, and renamed back when it leaves): a rename costs far less than creating a file.
   * Without a ticket (a full disk, a read-only directory) the waiter still polls.
   */
  join(): void {
    if (this.ticket !== undefined) return;
    const name = `${String(Date.now()).padStart(15, "0")}-${SELF.pid}-${SELF.start}-${randomBytes(4).toString("hex")}.ticket`;
    try {
      renameSync(this.idleFile(), join(this.dir, name));
      this.ticket = join(this.dir, name);
      this.beat = Date.now();
      // Watching from the moment the ticket exists: a wake-up that comes before this waiter
      // sleeps is kept (woken), not missed.
      this.ensureWatcher();
    } catch {
      // Our idle file is gone (swept) or the directory is not writable: try afresh next time.
      if (this.idle !== undefined) unlinkQuietly(this.idle);
      this.idle = undefined;
      // polling without a place in the queue still makes progress
    }
  }

  private idleFile(): string {
    if (this.idle !== undefined) return this.idle;
    try {
      mkdirSync(this.dir, { mode: DIR_MODE });
    } catch {
      // exists already, or cannot be made (then the open below fails too)
    }
    this.sweep();
    const path = join(this.dir, `${SELF.pid}-${SELF.start}-${randomBytes(4).toString("hex")}.idle`);
    closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, FILE_MODE));
    this.idle = path;
    return path;
  }

  /**
   * Removes the idle files and tickets of processes that are gone (killed while waiting): once per
   * process, when it first waits, so that the directory does not grow with every crash.
   */
  private sweep(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const m = WAIT_TICKET_NAME.exec(name);
      const who = m === null ? WAIT_IDLE_NAME.exec(name) : [m[0], m[2], m[3]];
      if (who !== null && isGone(Number(who[1]), who[2] ?? "")) unlinkQuietly(join(this.dir, name));
    }
  }

  /** Sleeps until `wakeHead` touches this waiter's ticket (or touched it since the last wait), or `ms` pass. */
  wait(ms: number): Promise<void> {
    this.ensureWatcher();
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
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
    if (this.watcher !== undefined || this.watchFailed || this.ticket === undefined) return;
    try {
      // Watches the ticket's inode: a touch by the releaser (or this head's own heartbeat) fires it.
      this.watcher = watch(this.ticket, { persistent: false }, () => {
        if (this.wake === undefined) this.woken = true;
        else this.wake();
      });
      this.watcher.on("error", () => this.closeWatcher());
    } catch {
      this.watchFailed = true;
    }
  }

  private closeWatcher(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  /**
   * Called by a process that has just released the lock: wakes the head of the queue, if any.
   * Returns whether anyone is queued (then this process should queue for its next turn rather than
   * take the lock ahead of them).
   */
  wakeHead(): boolean {
    const names = this.tickets();
    const mine = this.ticket === undefined ? undefined : this.ticket.slice(this.dir.length + 1);
    const head = names.find((n) => n !== mine);
    if (head === undefined) return false;
    try {
      const now = new Date();
      utimesSync(join(this.dir, head), now, now);
    } catch {
      // it left meanwhile: the next one polls
    }
    return true;
  }

  /** Gives up this waiter's ticket (it has the lock, or gave up). */
  leave(): void {
    this.closeWatcher();
    if (this.ticket !== undefined) {
      try {
        renameSync(this.ticket, this.idle!);
      } catch {
        unlinkQuietly(this.ticket);
        this.idle = undefined;
      }
    }
    this.ticket = undefined;
    this.wake = undefined;
    this.woken = false;
  }

  /**
   * Removes the idle file (the adapter is closing), and the directory when nothing else is in it
   * once dead processes' files are swept: like SQLite's -wal and -shm files, the queue leaves
   * nothing behind after the last close. A process that joins meanwhile finds its idle file gone
   * and makes the directory again on its next try.
   */
  dispose(): void {
    this.leave();
    if (this.idle !== undefined) unlinkQuietly(this.idle);
    this.idle = undefined;
    this.sweep();
    try {
      rmdirSync(this.dir);
    } catch {
      // not empty (others are waiting or idle), or never made
    }
  }
}
