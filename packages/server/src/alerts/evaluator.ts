import { ACTIVE_AGENT_STATUSES, type Alert, type Store, isStatehouseError } from "@statehouse/core";
import type { FastifyBaseLogger } from "fastify";
import { nextTransition } from "./lifecycle.js";
import { ALERT_DEFAULTS, type AlertSettings, loadAlertSettings } from "./rules.js";
import { Sampler, type SamplerSources } from "./sampler.js";

/** Options of the daemon's alert evaluation. */
export interface AlertsOptions {
  /** The project whose config's `alerts` holds the thresholds and windows. Default `"default"`. */
  project?: string;
}

/** Active agents examined per status for the stale-agents KPI: bounded work per evaluation. */
const STALE_SCAN = 1000;

/**
 * Judges the KPIs on a schedule and keeps each alert's lifecycle in the store (`store.alerts`):
 * every evaluation re-reads the project config, takes a sample, measures each KPI over its window
 * and writes the transitions, once the config has an `alerts` section (see `AlertSettings.enabled`).
 * One evaluation at a time; a failed one is logged and the next runs.
 */
export class AlertEvaluator {
  private readonly sampler: Sampler;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private evaluations = 0;

  constructor(
    private readonly src: SamplerSources & { readonly store: Store },
    private readonly options: AlertsOptions,
    private readonly log: FastifyBaseLogger,
  ) {
    this.sampler = new Sampler(src);
  }

  /** Takes the first sample now (the start of every window) and schedules the evaluations. */
  start(): void {
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.evaluate()
        .then(
          (s) => s.evaluateEverySeconds,
          (err: unknown) => {
            this.log.warn({ err }, "alert evaluation failed");
            return ALERT_DEFAULTS.evaluateEverySeconds;
          },
        )
        .then((every) => {
          this.running = undefined;
          this.schedule(every * 1000);
        });
    }, ms);
    this.timer.unref();
  }

  /** One evaluation: sample, measure, transition. Resolves to the settings it used. */
  evaluate(): Promise<AlertSettings> {
    return this.sampler.unobserved(() => this.evaluateOnce());
  }

  private async evaluateOnce(): Promise<AlertSettings> {
    const { store } = this.src;
    const settings = await loadAlertSettings(store, this.options.project ?? "default");
    const end = await this.sampler.sample();
    // Sampled either way, so that windows are full from the moment alerts are turned on.
    if (!settings.enabled) return settings;
    const staleAgents = await this.staleAgents();
    const active = new Map<string, Alert>();
    // Newest first: should two episodes of one KPI be active (never by this evaluator), the newest counts.
    for (const a of (await store.alerts.list({ limit: 1000 })).reverse()) active.set(a.kpi, a);
    const now = Date.now();
    for (const rule of settings.rules) {
      const start = this.sampler.windowStart(end, rule.windowSeconds);
      const value = start === undefined ? undefined : rule.kpi.measure({ start, end, staleAgents });
      // Nothing to judge before a second sample: an active alert stays as it is.
      if (start === undefined && active.has(rule.kpi.id)) continue;
      const t = nextTransition(active.get(rule.kpi.id), rule, value, now);
      if (t === undefined) continue;
      try {
        await store.alerts.save(t.alert, t.expectedRevision);
        this.log.info({ kpi: t.alert.kpi, state: t.alert.state, value: t.alert.value }, `alert ${t.alert.state}: ${t.alert.message}`);
      } catch (err) {
        // Another writer moved it on (an import, a second store handle): judged again next time.
        if (!isStatehouseError(err, "E_CONFLICT")) throw err;
      }
    }
    if (++this.evaluations % 30 === 0) await store.alerts.prune(settings.keepResolved);
    return settings;
  }

  private async staleAgents(): Promise<number> {
    let n = 0;
    for (const status of ACTIVE_AGENT_STATUSES) {
      const page = await this.src.store.agents.list({ status, limit: STALE_SCAN });
      n += page.items.filter((a) => a.stale === true).length;
    }
    return n;
  }

  /** Stops scheduling and waits for an evaluation under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => {});
    this.sampler.stop();
  }
}
