import { ValidationError } from "../errors.js";
import type { JsonObject } from "../json/types.js";
import type { StoredRecord } from "../spi/types.js";
import { validateId } from "../validation.js";
import { COLLECTION, SEP, SESSION_INDEX } from "./collections.js";
import type { DomainContext } from "./context.js";
import { deleteHistory } from "./history.js";
import { IDEMPOTENCY, IDEMPOTENCY_EXPIRES_INDEX } from "./idempotency.js";
import { MAX_AGE_SECONDS, type RetentionPolicy, retentionPolicyOf } from "./retention-policy.js";
import { sessionAgentIds } from "./sessions.js";
import { FINAL_SESSION_STATUSES, type Session } from "./types.js";

/** Options of `store.gc()`. Explicit limits override the policy's; a limit neither gives is not applied. */
export interface GcOptions {
  /** Report what would be removed, removing nothing. Default false. */
  dryRun?: boolean;
  /** Remove ended sessions that ended more than this many milliseconds ago. Default: the policy's `endedSessionsMaxAgeSeconds`. */
  endedOlderThanMs?: number;
  /** Remove ended sessions that ended before this ISO 8601 time (instead of `endedOlderThanMs`). */
  endedBefore?: string;
  /** Keep at most this many change sets. Default: the policy's `changeLogMaxEntries`. */
  changeLogMaxEntries?: number;
  /** Trim change sets older than this many milliseconds. Default: the policy's `changeLogMaxAgeDays`. */
  changeLogMaxAgeMs?: number;
  /**
   * Whether the `default` project's `retention` section supplies the limits not given here. Default
   * true; with no such section only expired idempotency records are removed.
   */
  usePolicy?: boolean;
  /** Records examined and removed per transaction: no lock is held for longer than one batch. Default 100, 1 to 1,000. */
  batchSize?: number;
}

/** What a gc run removed (or, with `dryRun`, would remove). */
export interface GcReport {
  /** Ended sessions deleted. */
  readonly sessions: number;
  /** Their state documents. */
  readonly stateDocuments: number;
  /** Their agents. */
  readonly agents: number;
  /** Idempotency records past their window. */
  readonly idempotencyRecords: number;
  /** Change sets trimmed from the change log. */
  readonly changeSets: number;
  readonly dryRun: boolean;
}

/** The project whose config's `retention` governs the whole store. */
export const RETENTION_PROJECT = "default";
const DEFAULT_BATCH = 100;
/** Change sets trimmed per adapter call. */
const TRIM_BATCH = 1_000;

function checkMs(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > MAX_AGE_SECONDS * 1000) {
    throw new ValidationError(
      `${what} must be a number of milliseconds from 0 to ${MAX_AGE_SECONDS * 1000}, got ${JSON.stringify(value)}`,
      {
        details: { issues: [`bad ${what}`] },
      },
    );
  }
  return value;
}

interface Limits {
  readonly dryRun: boolean;
  readonly endedBefore: string | undefined;
  readonly changeLogMaxEntries: number | undefined;
  readonly changeLogMaxAgeMs: number | undefined;
  readonly batch: number;
}

/** Validates the options (before anything is read) and merges them with the policy. */
export function resolveGcLimits(options: GcOptions, policy: RetentionPolicy | undefined, now: number): Limits {
  if (typeof options !== "object" || options === null)
    throw new ValidationError("gc options must be an object", { details: { issues: ["bad options"] } });
  const batch = options.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(batch) || batch < 1 || batch > 1_000) {
    throw new ValidationError(`batchSize must be an integer from 1 to 1,000, got ${JSON.stringify(batch)}`, {
      details: { issues: ["bad batchSize"] },
    });
  }
  let endedBefore: string | undefined;
  if (options.endedBefore !== undefined) {
    if (options.endedOlderThanMs !== undefined) {
      throw new ValidationError("give endedBefore or endedOlderThanMs, not both", {
        details: { issues: ["both endedBefore and endedOlderThanMs"] },
      });
    }
    const t = typeof options.endedBefore === "string" ? Date.parse(options.endedBefore) : Number.NaN;
    if (Number.isNaN(t))
      throw new ValidationError(`endedBefore must be an ISO 8601 time, got ${JSON.stringify(options.endedBefore)}`, {
        details: { issues: ["bad endedBefore"] },
      });
    endedBefore = new Date(t).toISOString();
  } else {
    const ms = options.endedOlderThanMs ?? (policy === undefined ? undefined : policy.endedSessionsMaxAgeSeconds * 1000);
    // Ended at least `ms` ago: times have millisecond resolution, so "before cutoff + 1 ms" is "at or before cutoff"
    // (with age 0, a session ended in this very millisecond is included).
    if (ms !== undefined) endedBefore = new Date(now - checkMs(ms, "endedOlderThanMs") + 1).toISOString();
  }
  const entries = options.changeLogMaxEntries ?? policy?.changeLogMaxEntries;
  if (entries !== undefined && (!Number.isSafeInteger(entries) || entries < 1)) {
    throw new ValidationError(`changeLogMaxEntries must be an integer of at least 1, got ${JSON.stringify(entries)}`, {
      details: { issues: ["bad changeLogMaxEntries"] },
    });
  }
  const ageMs =
    options.changeLogMaxAgeMs ?? (policy?.changeLogMaxAgeDays === undefined ? undefined : policy.changeLogMaxAgeDays * 86_400_000);
  return {
    dryRun: options.dryRun === true,
    endedBefore,
    changeLogMaxEntries: entries,
    changeLogMaxAgeMs: ageMs === undefined ? undefined : checkMs(ageMs, "changeLogMaxAgeMs"),
    batch,
  };
}

type SessionData = Omit<Session, "revision">;

/** When a session ended (its `endedAt`; `updatedAt` for a record written before `endedAt` existed). */
function endedAt(s: SessionData): string {
  return s.endedAt ?? s.updatedAt;
}

/** Whether the record is an ended session that ended before the cutoff: judged on listing and again inside the deleting transaction. */
function expired(r: StoredRecord | undefined, cutoff: string): boolean {
  if (r === undefined) return false;
  const s = r.value as unknown as SessionData;
  return s.status !== "active" && endedAt(s) < cutoff;
}

interface Counts {
  sessions: number;
  stateDocuments: number;
  agents: number;
  idempotencyRecords: number;
  changeSets: number;
}

/**
 * Retention, written once on the SPI. Each kind is listed outside any transaction, then removed
 * in batches of `batchSize`, one transaction per batch, each record judged again inside it: a
 * session revived, updated or given an agent since the listing is left for a later run, and an
 * idempotency key written again since is kept. Only ended sessions and expired records are ever
 * candidates, so nothing active is removed.
 */
export class Retention {
  constructor(private readonly ctx: DomainContext) {}

  /** The policy in the `default` project's config, or undefined when it has no `retention` section. */
  async policy(): Promise<RetentionPolicy | undefined> {
    const r = await this.ctx.adapter.get(COLLECTION.config, validateId(RETENTION_PROJECT, "project"));
    return retentionPolicyOf(r?.value as JsonObject | undefined);
  }

  async gc(options: GcOptions = {}): Promise<GcReport> {
    // Validated before the policy is read, so a bad option is refused even on a store without one.
    resolveGcLimits(options, undefined, Date.now());
    const policy = options.usePolicy === false ? undefined : await this.policy();
    const now = Date.now();
    const limits = resolveGcLimits(options, policy, now);
    const counts: Counts = { sessions: 0, stateDocuments: 0, agents: 0, idempotencyRecords: 0, changeSets: 0 };
    if (limits.endedBefore !== undefined) await this.sessions(limits.endedBefore, limits, counts);
    await this.idempotency(new Date(now).toISOString(), limits, counts);
    await this.changeLog(now, limits, counts);
    return { ...counts, dryRun: limits.dryRun };
  }

  private async sessions(cutoff: string, limits: Limits, counts: Counts): Promise<void> {
    const { adapter } = this.ctx;
    for (const status of FINAL_SESSION_STATUSES) {
      let after: string | undefined;
      do {
        // By last update: a session rarely changes after it ends, so the old ones come first.
        const page = await adapter.list(COLLECTION.sessions, {
          index: SESSION_INDEX.statusUpdated,
          prefix: `${status}${SEP}`,
          limit: limits.batch,
          ...(after !== undefined && { after }),
        });
        after = page.cursor;
        const doomed = page.records.filter((r) => expired(r, cutoff));
        if (doomed.length === 0) continue;
        const listed = await Promise.all(
          doomed.map(async (r) => ({ id: r.id, revision: r.revision, agents: await sessionAgentIds(adapter, r.id) })),
        );
        if (limits.dryRun) {
          for (const s of listed) {
            counts.sessions++;
            counts.agents += s.agents.length;
            if ((await adapter.get(COLLECTION.sessionState, s.id)) !== undefined) counts.stateDocuments++;
          }
          continue;
        }
        const removed = await this.ctx.run("gc.sessions", (tx) => {
          const c = { sessions: 0, stateDocuments: 0, agents: 0 };
          for (const s of listed) {
            const current = tx.get(COLLECTION.sessions, s.id);
            // Any write to the session since the listing (revived, renamed, an agent spawned while it
            // was revived) moves its revision: judged again by a later run, with a fresh agent listing.
            if (current === undefined || current.revision !== s.revision || !expired(current, cutoff)) continue;
            for (const a of s.agents) if (tx.delete(COLLECTION.agents, a)) c.agents++;
            if (tx.delete(COLLECTION.sessionState, s.id)) c.stateDocuments++;
            // The document's kept revisions go with it (history.ts), as when a session is deleted.
            deleteHistory(tx, COLLECTION.sessionState, s.id);
            tx.delete(COLLECTION.sessions, s.id);
            c.sessions++;
          }
          return c;
        });
        counts.sessions += removed.sessions;
        counts.stateDocuments += removed.stateDocuments;
        counts.agents += removed.agents;
      } while (after !== undefined);
    }
  }

  private async idempotency(nowIso: string, limits: Limits, counts: Counts): Promise<void> {
    const { adapter } = this.ctx;
    let after: string | undefined;
    for (;;) {
      // In expiry order: the first record not yet expired ends the scan.
      const page = await adapter.list(IDEMPOTENCY, {
        index: IDEMPOTENCY_EXPIRES_INDEX,
        limit: limits.batch,
        ...(after !== undefined && { after }),
      });
      const doomed = page.records.filter(
        (r) =>
          (r.value as { expiresAt?: unknown }).expiresAt !== undefined && String((r.value as { expiresAt: unknown }).expiresAt) <= nowIso,
      );
      if (limits.dryRun) counts.idempotencyRecords += doomed.length;
      else if (doomed.length > 0) {
        counts.idempotencyRecords += await this.ctx.run("gc.idempotency", (tx) => {
          let n = 0;
          for (const r of doomed) {
            const current = tx.get(IDEMPOTENCY, r.id);
            // Written again with the same key since (a fresh window): kept.
            if (current === undefined || String((current.value as { expiresAt?: unknown }).expiresAt) > nowIso) continue;
            tx.delete(IDEMPOTENCY, r.id);
            n++;
          }
          return n;
        });
      }
      if (page.cursor === undefined || doomed.length < page.records.length) return;
      after = page.cursor;
    }
  }

  /**
   * Trims the change log's oldest change sets, always a prefix (a watcher must never meet a hole)
   * and never the latest (it carries the store's sequence on some engines).
   */
  private async changeLog(now: number, limits: Limits, counts: Counts): Promise<void> {
    if (limits.changeLogMaxEntries === undefined && limits.changeLogMaxAgeMs === undefined) return;
    const { adapter } = this.ctx;
    const head = await adapter.sequence();
    const first = (await adapter.changes(0, 1))[0]?.sequence;
    if (first === undefined) return;
    let through = 0;
    if (limits.changeLogMaxEntries !== undefined) through = head - limits.changeLogMaxEntries;
    if (limits.changeLogMaxAgeMs !== undefined) {
      const cutoff = new Date(now - limits.changeLogMaxAgeMs).toISOString();
      let since = Math.max(first - 1, through);
      scan: for (;;) {
        const sets = await adapter.changes(since, TRIM_BATCH);
        for (const set of sets) {
          if (set.at >= cutoff) break scan;
          through = Math.max(through, set.sequence);
        }
        if (sets.length < TRIM_BATCH) break;
        since = sets[sets.length - 1]!.sequence;
      }
    }
    through = Math.min(through, head - 1);
    if (through < first) return;
    if (limits.dryRun || adapter.trimChanges === undefined) {
      if (limits.dryRun) counts.changeSets += through - first + 1;
      return;
    }
    for (let upTo = Math.min(through, first + TRIM_BATCH - 1); ; upTo = Math.min(through, upTo + TRIM_BATCH)) {
      counts.changeSets += await adapter.trimChanges(upTo);
      if (upTo >= through) return;
    }
  }
}
