import { fromSamples } from "../measure.js";
import { timeProcess } from "../process-timing.js";
import { type Scenario, okResult } from "../scenario.js";

/** `node -e 0`: the cost of starting Node at all, the floor of every whole-process timing. */
export const processFloorScenario: Scenario = {
  name: "process-floor",
  group: "floor",
  title: "Process floor (node -e 0)",
  perAdapter: false,
  writes: false,
  ops: () => ["node-e-0"],
  async run(ctx) {
    const samples: number[] = [];
    timeProcess(process.execPath, ["-e", "0"]); // warm the page cache
    for (let i = 0; i < ctx.job.settings.processRuns; i++) samples.push(timeProcess(process.execPath, ["-e", "0"]).ms);
    return [okResult(ctx.job, "node-e-0", fromSamples(samples), { adapter: "process" })];
  },
};
