export { ADAPTERS, findAdapter, type AdapterDescriptor, type AdapterFloors } from "./adapters.js";
export { compareRuns, formatGateReport, type Comparison, type GateOptions, type GateReport } from "./gate.js";
export { fillRatios, runBench, type RunBenchOptions } from "./harness.js";
export { runJob, type RunJobOptions } from "./runner.js";
export { PROFILES, planJobs, jobLabel, type Profile, type PlanOptions } from "./profiles.js";
export { Progress, type ProgressOptions } from "./progress.js";
export { renderChartSvg, renderHtml } from "./report/html.js";
export { renderMarkdown } from "./report/markdown.js";
export { writeReports, type WriteReportsOptions } from "./report/write.js";
export { loadHistory, trend } from "./report/history.js";
export { SCENARIOS } from "./scenarios/index.js";
export { mannWhitneyU, median, p99, quantileSorted, summarize, normalCdf, erfc, type MannWhitneyResult } from "./stats.js";
export { loadTargets, judgeGoal, judgeReport, judgeAllGoals, type Goal, type ReportTarget, type Targets } from "./targets.js";
export type { BenchResult, Environment, RunResult, Stats } from "./types.js";
export {
  SAME_WORK_FLOORS,
  openSameWorkFloor,
  sameWorkFloorName,
  type SameWorkFloor,
  type SameWorkSpec,
} from "./scenarios/same-work-floors.js";
