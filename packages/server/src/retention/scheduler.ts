import type { GcReport, RetentionPolicy } from "@statehouse/core";

/** Options of the daemon's retention schedule. */
export interface RetentionScheduleOptions {
  /** Delay before the first look at the policy, in ms. Default 5,000 (start-up first). */
  firstRunMs?: number;
  /**
   * How often the policy is looked for while the `default` project's config has no `retention`
   * section, or after a failed run, in ms. Default 60,000: a policy set later applies within a minute.
   */
  checkEveryMs?: number;
}

/** What the scheduler needs of the store: its policy and gc (an in-process store). */
export interface GcStore {
  retentionPolicy(): Promise<RetentionPolicy | undefined>;
  gc(options?: { dryRun?: boolean }): Promise<GcReport>;
}

type Log = (level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown>) => void;

const DEFAULT_FIRST_MS = 5_000;
const DEFAULT_CHECK_MS = 60_000;

/** The kinds a report counts, as the `kind` label of `statehouse_gc_removed_total`. */
export const GC_KINDS = ["sessions", "stateDocuments", "agents", "idempotencyRecords", "changeSets"] as const;

/**
 * Runs `store.gc()` on the retention policy's schedule (`scheduleSeconds`), once the `default`
 * project's config has a `retention` section: retention is opt-in. Off the request path (a timer,
 * one run at a time); each run is logged at info with its counts, a failed one at warn, and the
 * next is scheduled either way: a gc failure never stops the daemon.
 */
export class RetentionScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Runs so far (each a gc that finished), for tests and the log. */
  runs = 0;

  constructor(
    private readonly store: GcStore,
    private readonly log: Log,
    private readonly onReport: (report: GcReport) => void,
    private readonly options: RetentionScheduleOptions = {},
  ) {}

  start(): void {
    this.schedule(this.options.firstRunMs ?? DEFAULT_FIRST_MS);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce().then((next) => {
        this.running = undefined;
        this.schedule(next);
      });
    }, ms);
    this.timer.unref();
  }

  /** One look at the policy and, if there is one, one gc; resolves to the delay before the next. */
  private async runOnce(): Promise<number> {
    const check = this.options.checkEveryMs ?? DEFAULT_CHECK_MS;
    try {
      const policy = await this.store.retentionPolicy();
      if (policy === undefined || this.stopped) return check;
      const t0 = process.hrtime.bigint();
      const report = await this.store.gc();
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      this.runs++;
      this.onReport(report);
      const removed = GC_KINDS.map((k) => `${report[k]} ${k}`).join(", ");
      this.log("info", `gc removed ${removed}`, { gc: { ...report, ms: Math.round(ms * 10) / 10 } });
      return policy.scheduleSeconds * 1000;
    } catch (err) {
      this.log("warn", "gc failed; the next run is scheduled", {
        error: { code: (err as { code?: unknown }).code, message: err instanceof Error ? err.message : String(err) },
      });
      return check;
    }
  }

  /** Stops scheduling and waits for a run under way (before the store closes). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => {});
  }
}
