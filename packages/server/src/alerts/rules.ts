import type { AlertKpi, Store } from "@statehouse/core";
import { KPIS, type KpiDefinition } from "./kpis.js";

/** A KPI with the thresholds in force. */
export interface AlertRule {
  readonly kpi: KpiDefinition;
  readonly enabled: boolean;
  readonly threshold: number;
  readonly windowSeconds: number;
  /** How long the KPI stays past its threshold (pending) before the alert fires; 0 fires at once. */
  readonly forSeconds: number;
}

/** The evaluator's settings, from the project config's `alerts` (validated by the config schema). */
export interface AlertSettings {
  /**
   * Whether alerts are judged and written: once the config has an `alerts` section (not `enabled: false`).
   * Opt-in, so a daemon never writes to a store on its own unasked (its change feed, exact sequences).
   */
  readonly enabled: boolean;
  readonly evaluateEverySeconds: number;
  readonly keepResolved: number;
  readonly rules: readonly AlertRule[];
}

/** Defaults: evaluate every 10 s over the last 5 minutes; "sustained" is one minute past the threshold. */
export const ALERT_DEFAULTS = { evaluateEverySeconds: 10, windowSeconds: 300, forSeconds: 60, keepResolved: 200 } as const;

interface AlertsConfig {
  enabled?: boolean;
  evaluateEverySeconds?: number;
  windowSeconds?: number;
  forSeconds?: number;
  keepResolved?: number;
  rules?: Partial<Record<AlertKpi, { threshold?: number; windowSeconds?: number; forSeconds?: number; enabled?: boolean }>>;
}

/**
 * Reads the settings from `project`'s config on every evaluation, so `statehouse config set` applies
 * while the daemon runs. The schema has validated what is stored; a missing config means defaults.
 */
export async function loadAlertSettings(store: Store, project: string): Promise<AlertSettings> {
  const record = await store.config.find(project);
  const section = (record?.config as { alerts?: AlertsConfig } | undefined)?.alerts;
  const c = section ?? {};
  const windowSeconds = c.windowSeconds ?? ALERT_DEFAULTS.windowSeconds;
  const forSeconds = c.forSeconds ?? ALERT_DEFAULTS.forSeconds;
  return {
    enabled: section !== undefined && c.enabled !== false,
    evaluateEverySeconds: c.evaluateEverySeconds ?? ALERT_DEFAULTS.evaluateEverySeconds,
    keepResolved: c.keepResolved ?? ALERT_DEFAULTS.keepResolved,
    rules: KPIS.map((kpi) => {
      const r = c.rules?.[kpi.id] ?? {};
      return {
        kpi,
        enabled: r.enabled ?? true,
        threshold: r.threshold ?? kpi.threshold,
        windowSeconds: r.windowSeconds ?? windowSeconds,
        forSeconds: r.forSeconds ?? forSeconds,
      };
    }),
  };
}
