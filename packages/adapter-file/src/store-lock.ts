import { createHash, randomBytes } from "node:crypto";
import * as nodeFs from "node:fs";
import { existsSync, linkSync, mkdirSync, rmdirSync, statSync, unlinkSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { IoError, LockTimeoutError } from "@statehouse/core";
import { WaitQueue } from "@statehouse/core/spi";
import type * as Lockfile from "proper-lockfile";
import { DIR_MODE, unlinkQuietly } from "./atomic-file.js";
import type { Layout } from "./layout.js";
import { mapEngineError } from "./map-engine-error.js";
import { createOwnerRecord, readOwnerRecord } from "./owner-record.js";
import { liveness } from "./process-info.js";

/** Options of the store's write lock. */
export interface StoreLockOptions {
  /**
   * How long a waiter waits without the queue moving before E_LOCK_TIMEOUT: each time a waiter
   * ahead of this one leaves the queue, or (for the head) the holder changes or shows it is
   * alive, the wait starts again. A waiter whose queue moves is never refused, however long the
   * queue (50 CLI processes writing at once each wait for up to 49 turns); one stuck behind a
   * queue that does not move is, after this long.
   */
  timeoutMs: number;
  /**
   * After a successful write the lock is kept this long for this process's next write, unless
   * another process is queued for it: a writer in a loop then pays for the lock once. 0: release
   * at once.
   */
  leaseMs?: number;
  /**
   * A live holder whose lock has not been refreshed for this long is presumed hung or stopped and
   * is taken over (its own write is then refused). A holder whose process is gone is taken over at
   * once, whatever this says.
   */
  staleMs: number;
}

// proper-lockfile refreshes the lock directory's mtime this often (its minimum).
const HEARTBEAT_MS = 1000;
// Disables proper-lockfile's own stale takeover (rmdir then mkdir: two racers can both "win").
// Takeover is done here instead, verified under a per-generation breaker directory.
const NEVER_STALE = 2 ** 30;
// A lock directory without an owner record is normally seen only for the microseconds between
// mkdir and the owner write; after this long its creator is presumed dead.
const OWNERLESS_STALE_MS = 1000;
// Breaking takes a few system calls; a breaker directory older than this was left by a crash.
const BREAKER_STALE_MS = 10_000;

function lockLost(why: string): LockTimeoutError {
  return new LockTimeoutError(`the store lock was lost (${why}); the write was not applied`, { details: { reason: "lock-lost" } });
}

// Loaded on the first write only: a process that only reads (a CLI `state get`) never pays for
// proper-lockfile and its dependencies at start-up.
let lockfileModule: Promise<typeof Lockfile> | undefined;
function loadLockfile(): Promise<typeof Lockfile> {
  lockfileModule ??= import("proper-lockfile").then((m) => ((m as { default?: typeof Lockfile }).default ?? m) as typeof Lockfile);
  return lockfileModule;
}

function releaseQuietly(release: () => void): void {
  try {
    release();
  } catch {
    // already released (compromised): nothing to stop
  }
}

/**
 * The store-wide write lock: a proper-lockfile directory with a heartbeat, plus an owner record
 * (pid, start time, boot id, a random token) so that a waiter can take over at once from a holder
 * that died, and never from a live one that is merely slow (until it has been silent for
 * `staleMs`). Writes are fenced independently (see the commit log), so even a holder that loses
 * the lock while stopped cannot apply a write over its rival's.
 */
export class StoreLock {
  private token: string | undefined;
  private readonly instanceToken = randomBytes(8).toString("hex");
  private generation = 0;
  private record: string | undefined;
  private readonly queue: WaitQueue;
  private lease: NodeJS.Timeout | undefined;
  private compromised: Error | undefined;
  private plRelease: (() => void) | undefined;
  private readonly plFs: Record<string, unknown>;

  constructor(
    private readonly layout: Layout,
    private readonly options: StoreLockOptions,
  ) {
    const lockDir = layout.lockDir;
    this.queue = new WaitQueue({ dir: join(layout.root, "waiters"), staleMs: options.staleMs });
    // proper-lockfile takes an `fs`: ours creates the lock directory 0700 whatever the umask, and
    // removes it only through removeIfOwned (the directory holds the owner record, and a holder
    // that lost the lock must never remove its successor's).
    this.plFs = {
      ...nodeFs,
      mkdirSync: (path: string) => nodeFs.mkdirSync(path, { mode: DIR_MODE }),
      rmdirSync: (path: string) => {
        // Reached from proper-lockfile's unlock (our release has removed the directory already)
        // and from its exit hook (release a lock this process still holds).
        if (path === lockDir) {
          if (this.token !== undefined) this.removeIfOwned(this.token);
          return;
        }
        nodeFs.rmdirSync(path);
      },
    };
  }

  get held(): boolean {
    return this.token !== undefined;
  }

  async acquire(): Promise<void> {
    if (this.lease !== undefined) {
      clearTimeout(this.lease);
      this.lease = undefined;
      // Still ours, and nobody queued behind us: carry on without touching the lock. (Had it
      // been taken over meanwhile, the fenced commit would still refuse the write.)
      if (this.compromised === undefined && !this.queue.hasWaiters()) return;
      this.releaseNow();
    }
    if (this.token !== undefined) throw new IoError("StoreLock.acquire: this lock instance already holds the lock");
    const started = Date.now();
    let deadline = started + this.options.timeoutMs;
    // What this waiter saw when its current wait began: its place in the queue and the holder's
    // lock generation and heartbeat. Either changing by the deadline is progress (a waiter ahead
    // was served, or the holder is alive and working: a slow fsync, a fold on a loaded machine),
    // and the wait starts again; a silent holder is taken over after staleMs anyway.
    let seen: string | undefined;
    const lockfile = await loadLockfile();
    const queue = this.queue;
    try {
      for (;;) {
        const turn = queue.mayAttempt();
        if (turn) {
          if (this.attempt(lockfile)) return;
          this.breakIfStale();
        }
        if (Date.now() >= deadline && seen !== undefined && queue.joined) {
          const now = this.progressMark(queue.rank);
          if (now !== seen) {
            seen = now;
            deadline = Date.now() + this.options.timeoutMs;
          }
        }
        if (Date.now() >= deadline) {
          throw new LockTimeoutError(
            `timed out after ${this.options.timeoutMs} ms waiting for the store lock ${this.layout.lockDir} without the queue moving (${queue.rank} waiting ahead, ${Date.now() - started} ms in all)`,
            {
              details: { lock: this.layout.lockDir, timeoutMs: this.options.timeoutMs, ahead: queue.rank, waitedMs: Date.now() - started },
            },
          );
        }
        queue.join();
        if (seen === undefined && queue.joined) seen = this.progressMark(queue.rank);
        // The head is woken when the lock is released (see releaseNow). The timers (randomized, so
        // waiters do not move in lock-step) cover a missed wake-up, and let the next few notice
        // promptly that they have moved up (a turn takes a millisecond or two); the rest, far
        // back, look less often.
        const rank = queue.rank;
        await queue.wait(turn ? 1 + Math.random() * 3 : rank <= 8 ? 2 + Math.random() * 3 : 15 + Math.random() * 15);
      }
    } finally {
      queue.leave();
    }
  }

  /** One try: true when the lock is ours. */
  private attempt(lockfile: typeof Lockfile): boolean {
    const token = this.instanceToken;
    const generation = ++this.generation;
    let release: (() => void) | undefined;
    try {
      // The synchronous API: a lock attempt is a few system calls, and a thread-pool round trip
      // for each would cost more than the calls themselves on a busy machine.
      release = lockfile.lockSync(this.layout.root, {
        lockfilePath: this.layout.lockDir,
        // The store directory exists, but never resolve paths through realpath: it fails on
        // files that do not exist yet and adds a system call to every acquisition.
        realpath: false,
        stale: NEVER_STALE,
        update: HEARTBEAT_MS,
        // Retries are ours (acquire): proper-lockfile's retry would also retry EACCES or ENOSPC,
        // turning a typed error into a slow timeout; and its sync API has none.
        retries: 0,
        fs: this.plFs,
        onCompromised: (err: Error) => {
          // Never throw (the default crashes the process): the next fenced write is refused.
          if (this.generation === generation && this.token === token) this.compromised = err;
        },
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOENT: the directory this attempt had just made was removed before proper-lockfile's
      // follow-up call on it (a rival broke it as ownerless while this process was descheduled
      // on a loaded machine): a lost race, like ELOCKED, not an I/O failure.
      // (A store directory that is itself gone is an I/O failure.)
      const lostRace = code === "ELOCKED" || (code === "ENOENT" && existsSync(this.layout.root));
      if (!lostRace) throw mapEngineError(err, "taking the store lock");
      return false;
    }
    const outcome = this.writeOwner();
    if (outcome === "ok") {
      this.token = token;
      this.compromised = undefined;
      this.plRelease = release;
      return true;
    }
    // Someone else's owner record is in the directory we created: they took it over while we
    // were stalled. Leave it to them.
    releaseQuietly(release);
    if (outcome instanceof Error) throw mapEngineError(outcome, "taking the store lock");
    return false;
  }

  private touched = 0;

  /**
   * Shows waiters that this holder is alive during a long synchronous stretch (a fold with many
   * fsyncs), when proper-lockfile's timer cannot run: the owner record's mtime counts as fresh as
   * the lock directory's.
   */
  keepAlive(): void {
    if (this.token === undefined || Date.now() - this.touched < 250) return;
    this.touched = Date.now();
    try {
      const now = new Date();
      utimesSync(this.layout.ownerFile, now, now);
    } catch {
      // lost already: the fenced write will say so
    }
  }

  /** Throws E_LOCK_TIMEOUT (reason lock-lost) unless this instance still holds the lock. */
  assertHeld(): void {
    const token = this.token;
    if (token === undefined) throw lockLost("not held");
    if (this.compromised !== undefined) throw lockLost(this.compromised.message);
    const owner = readOwnerRecord(this.layout.ownerFile);
    if (owner?.token !== token) throw lockLost("another process took it over");
  }

  /** Releases the lock; after a successful write (`keep`), possibly only after a short lease. */
  async release(keep = false): Promise<void> {
    if (this.token === undefined) return;
    const leaseMs = this.options.leaseMs ?? 0;
    if (keep && leaseMs > 0 && this.compromised === undefined) {
      this.lease = setTimeout(() => {
        this.lease = undefined;
        this.releaseNow();
      }, leaseMs);
      // A process that exits while leasing: proper-lockfile's exit hook removes the lock.
      this.lease.unref();
      return;
    }
    this.releaseNow();
  }

  private releaseNow(): void {
    const token = this.token;
    const release = this.plRelease;
    this.token = undefined;
    this.plRelease = undefined;
    this.compromised = undefined;
    if (token === undefined) return;
    this.removeIfOwned(token);
    // The next in line, if any, is woken now rather than at its next poll.
    this.queue.wakeHead();
    // Stops proper-lockfile's heartbeat; its rmdir is a no-op through plFs.
    if (release !== undefined) releaseQuietly(release);
  }

  /**
   * Puts this instance's owner record into the lock directory. The record is written once per
   * instance (owners/<pid>-<start>-<token>.json) and hard-linked in on every acquisition: a link
   * costs a fraction of creating and writing a file.
   */
  private writeOwner(): "ok" | "taken" | Error {
    for (let attempt = 0; ; attempt++) {
      try {
        if (this.record === undefined || attempt > 0) this.record = createOwnerRecord(this.layout.root, this.instanceToken);
        linkSync(this.record, this.layout.ownerFile);
        return "ok";
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EEXIST") return "taken";
        // ENOENT: our record was removed (then make it again), or the lock directory (taken over).
        if (code === "ENOENT" && attempt === 0 && this.record !== undefined && !existsSync(this.record)) continue;
        if (code === "ENOENT") return "taken";
        this.removeDirQuietly();
        return err as Error;
      }
    }
  }

  /** Removes this instance's owner record (the adapter is closing). */
  dispose(): void {
    if (this.lease !== undefined) {
      clearTimeout(this.lease);
      this.lease = undefined;
      this.releaseNow();
    }
    if (this.record !== undefined && this.token === undefined) unlinkQuietly(this.record);
    this.record = undefined;
    this.queue.dispose();
  }

  private removeDirQuietly(): void {
    try {
      rmdirSync(this.layout.lockDir);
    } catch {
      // not empty (someone else's) or gone
    }
  }

  private removeIfOwned(token: string): void {
    if (readOwnerRecord(this.layout.ownerFile)?.token !== token) return;
    try {
      unlinkSync(this.layout.ownerFile);
    } catch {
      return;
    }
    this.removeDirQuietly();
  }

  /**
   * What a waiter watches for progress: its place in the queue, the current holder's lock
   * generation and the last time the holder showed it was alive (the lock directory's heartbeat
   * or the owner record's keep-alive).
   */
  private progressMark(rank: number): string {
    try {
      const st = statSync(this.layout.lockDir, { throwIfNoEntry: false });
      if (st === undefined) return `${rank} free`;
      const owner = statSync(this.layout.ownerFile, { throwIfNoEntry: false });
      return `${rank} ${st.ino}:${st.birthtimeMs}:${Math.max(st.mtimeMs, owner?.mtimeMs ?? 0)}`;
    } catch {
      return `${rank} unknown`;
    }
  }

  /** The identity of the current lock generation and whether it may be taken over. */
  private judge(): { identity: string; stale: boolean } | undefined {
    let st: nodeFs.Stats;
    try {
      st = statSync(this.layout.lockDir);
    } catch {
      return undefined;
    }
    const owner = readOwnerRecord(this.layout.ownerFile);
    let ownerMtime = 0;
    try {
      ownerMtime = statSync(this.layout.ownerFile, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    } catch {
      // Unreadable (the lock is not a directory, say): judged by the lock's own age, like an
      // ownerless lock; what cannot be broken ends as E_LOCK_TIMEOUT, never a raw error.
    }
    const age = Date.now() - Math.max(st.mtimeMs, ownerMtime);
    if (owner !== undefined && typeof owner.token === "string") {
      const state = liveness(owner);
      // The token is per process and adapter; the directory's inode and birth time tell this
      // acquisition from that holder's next one.
      return { identity: `owner:${owner.token}:${st.ino}:${st.birthtimeMs}`, stale: state === "dead" || age > this.options.staleMs };
    }
    return { identity: `dir:${st.ino}:${st.birthtimeMs}:${st.mtimeMs}`, stale: age > Math.min(OWNERLESS_STALE_MS, this.options.staleMs) };
  }

  /**
   * Takes over a lock whose holder is gone or silent. Waiters that judged the same generation
   * stale race for one breaker directory named after it; the winner re-checks, under the
   * breaker, that the lock is still that generation before removing it, so a second waiter can
   * never remove the lock that the first has just re-created (proper-lockfile's own takeover can).
   */
  private breakIfStale(): void {
    const judged = this.judge();
    if (judged === undefined || !judged.stale) return;
    const breaker = join(this.layout.root, `lock.${createHash("sha256").update(judged.identity).digest("hex").slice(0, 16)}.break`);
    try {
      mkdirSync(breaker, { mode: DIR_MODE });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") {
        try {
          if (Date.now() - statSync(breaker).mtimeMs > BREAKER_STALE_MS) rmdirSync(breaker);
        } catch {
          // another waiter cleaned it up
        }
      }
      return;
    }
    try {
      if (this.judge()?.identity !== judged.identity) return;
      try {
        unlinkSync(this.layout.ownerFile);
      } catch {
        // an ownerless generation
      }
      this.removeDirQuietly();
    } finally {
      try {
        rmdirSync(breaker);
      } catch {
        // nothing to clean up
      }
    }
  }
}
