import { type Alert, type AlertData, Alerts } from "@statehouse/core";
import type { AlertRule } from "./rules.js";

/** A write the evaluator makes: the alert's next state, on the revision it was read at (0: new). */
export interface Transition {
  readonly alert: AlertData;
  readonly expectedRevision: number;
}

// Three significant digits: a latency of 1.0123 ms reads 1.01, a threshold of 0.000001 ms stays visible.
const fmt = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3))));

function message(rule: AlertRule, value: number): string {
  const k = rule.kpi;
  return `${k.label}: ${fmt(value)} ${k.unit} (threshold ${k.comparison} ${fmt(rule.threshold)} ${k.unit} over ${fmt(rule.windowSeconds)} s)`;
}

/**
 * The lifecycle of one KPI's alert: past the threshold → pending (or firing at once when `forSeconds`
 * is 0); pending for `forSeconds` → firing; back within the threshold (or the rule turned off) →
 * resolved. A new episode after that is a new alert. Writes only on a change of state, so a steady
 * alert costs the store nothing; `value` is the KPI's value at that change.
 */
export function nextTransition(active: Alert | undefined, rule: AlertRule, value: number | undefined, now: number): Transition | undefined {
  const iso = new Date(now).toISOString();
  const breached = rule.enabled && value !== undefined && (rule.kpi.comparison === ">" ? value > rule.threshold : value < rule.threshold);
  if (active === undefined) {
    if (!breached) return undefined;
    const firing = rule.forSeconds === 0;
    const alert: AlertData = {
      id: Alerts.newId(),
      kpi: rule.kpi.id,
      state: firing ? "firing" : "pending",
      value: value!,
      threshold: rule.threshold,
      comparison: rule.kpi.comparison,
      unit: rule.kpi.unit,
      windowSeconds: rule.windowSeconds,
      message: message(rule, value!),
      startedAt: iso,
      ...(firing && { firedAt: iso }),
      updatedAt: iso,
    };
    return { alert, expectedRevision: 0 };
  }
  const { revision, ...data } = active;
  if (!breached) {
    const last = value ?? data.value;
    return { alert: { ...data, state: "resolved", value: last, resolvedAt: iso, updatedAt: iso }, expectedRevision: revision };
  }
  if (data.state === "pending" && now - Date.parse(data.startedAt) >= rule.forSeconds * 1000) {
    return {
      alert: { ...data, state: "firing", value: value!, message: message(rule, value!), firedAt: iso, updatedAt: iso },
      expectedRevision: revision,
    };
  }
  return undefined;
}
