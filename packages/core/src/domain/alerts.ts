import { ValidationError } from "../errors.js";
import type { JsonObject } from "../json/types.js";
import type { StoredRecord } from "../spi/types.js";
import { validateId } from "../validation.js";
import { newId } from "./collections.js";
import type { DomainContext } from "./context.js";

/**
 * Alerts kept in the store (issue 12), so their history survives restarts and every process (the
 * daemon that evaluates them, the CLI, a dashboard) reads the same ones. Core only stores and lists
 * them: the KPIs are judged by the daemon, which sees the operations as they run.
 */

/** Collection of alert records, one per episode (pending → firing → resolved), time-ordered ids. */
export const ALERTS = "alerts";
export const ALERT_STATES = ["pending", "firing", "resolved"] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/**
 * The KPIs the daemon judges, with the v2 report's thresholds as defaults (and stale agents and
 * event-stream drops). The project config's `alerts.rules` may change any of them by this id.
 */
export const ALERT_KPIS = [
  "state-query-latency",
  "session-op-latency",
  "dashboard-refresh-latency",
  "cpu",
  "memory",
  "disk-io",
  "operation-failures",
  "corruption",
  "lock-timeouts",
  "agent-spawn-success",
  "session-success",
  "stale-agents",
  "event-stream-drops",
] as const;
export type AlertKpi = (typeof ALERT_KPIS)[number];

/** Most records `list` reads: the evaluator prunes resolved ones well below this. */
const MAX_LISTED = 1000;

/** One alert episode as stored. */
export interface AlertData {
  readonly id: string;
  /** The KPI judged, e.g. `state-query-latency`. */
  readonly kpi: string;
  readonly state: AlertState;
  /** The KPI's value at the last evaluation, in `unit`. */
  readonly value: number;
  readonly threshold: number;
  /** The alert is active while `value` is above (`>`) or below (`<`) `threshold`. */
  readonly comparison: ">" | "<";
  readonly unit: string;
  readonly windowSeconds: number;
  /** A sentence for a person: what is wrong. */
  readonly message: string;
  readonly startedAt: string;
  readonly firedAt?: string | undefined;
  readonly resolvedAt?: string | undefined;
  readonly updatedAt: string;
}

export interface Alert extends AlertData {
  readonly revision: number;
}

/** Options of `Alerts.list`. */
export interface AlertListOptions {
  /** Also the resolved ones (the history). Default false: pending and firing only. */
  all?: boolean;
  /** At most this many, newest first. Default 100, at most 1,000. */
  limit?: number;
}

const toAlert = (r: StoredRecord): Alert => ({ ...(r.value as unknown as AlertData), revision: r.revision });

function checkAlert(a: AlertData): void {
  const issues: string[] = [];
  if (!/^[a-z][a-z0-9-]{0,63}$/.test(String(a.kpi))) issues.push("kpi: lowercase letters, digits and dashes");
  if (!ALERT_STATES.includes(a.state)) issues.push(`state: one of ${ALERT_STATES.join(", ")}`);
  if (a.comparison !== ">" && a.comparison !== "<") issues.push("comparison: > or <");
  for (const k of ["value", "threshold", "windowSeconds"] as const) if (!Number.isFinite(a[k])) issues.push(`${k}: a finite number`);
  if (issues.length > 0) throw new ValidationError(`invalid alert: ${issues.join("; ")}`, { details: { issues } });
}

/** The store's alerts: listed by any process, written by the daemon's evaluator. */
export class Alerts {
  constructor(private readonly ctx: DomainContext) {}

  /** A fresh, time-ordered alert id. */
  static newId(): string {
    return newId("alt");
  }

  /** Alerts newest first: active ones only, or with `all` the history too. */
  async list(options: AlertListOptions = {}): Promise<Alert[]> {
    const limit = options.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LISTED) {
      throw new ValidationError(`limit must be an integer from 1 to ${MAX_LISTED}, got ${String(limit)}`, {
        details: { issues: ["bad limit"] },
      });
    }
    return this.ctx.read("alert.list", async () => {
      const page = await this.ctx.adapter.list(ALERTS, { reverse: true, limit: MAX_LISTED });
      const all = page.records.map(toAlert);
      return (options.all === true ? all : all.filter((a) => a.state !== "resolved")).slice(0, limit);
    });
  }

  /**
   * Writes an alert episode, only if its record is still at `expectedRevision` (0: a new one), so
   * two evaluators can never overwrite each other's transitions (E_CONFLICT instead).
   */
  async save(alert: AlertData, expectedRevision: number): Promise<Alert> {
    validateId(alert.id, "alert id");
    checkAlert(alert);
    const value = JSON.parse(JSON.stringify(alert)) as JsonObject;
    return this.ctx.run("alert.save", (tx) => {
      const revision = tx.put(ALERTS, alert.id, value, { ifRevision: expectedRevision });
      return { ...alert, revision };
    });
  }

  /** Deletes the oldest resolved alerts beyond the newest `keep`; resolves to how many went. */
  async prune(keep: number): Promise<number> {
    const page = await this.ctx.adapter.list(ALERTS, { reverse: true, limit: MAX_LISTED });
    const old = page.records
      .map(toAlert)
      .filter((a) => a.state === "resolved")
      .slice(keep);
    if (old.length === 0) return 0;
    // Conditioned on the revisions read: a record changed meanwhile fails the prune (E_CONFLICT), kept.
    return this.ctx.run("alert.prune", (tx) => old.filter((a) => tx.delete(ALERTS, a.id, { ifRevision: a.revision })).length);
  }
}
