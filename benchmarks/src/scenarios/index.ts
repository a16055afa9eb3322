import type { Scenario } from "../scenario.js";
import { cliScenario } from "./cli.js";
import { concurrencyScenario } from "./concurrency.js";
import { concurrentCommitFloorScenario } from "./concurrent-commit-floor.js";
import { curlFloorScenario, daemonScenario } from "./daemon.js";
import { concurrentHttpFloorScenario, daemonConcurrencyScenario } from "./daemon-concurrency.js";
import { docSizeScenario } from "./doc-size.js";
import { floorsScenario } from "./floors.js";
import { libraryPeersScenario } from "./library-peers.js";
import { mcpScenario } from "./mcp.js";
import { mcpFloorScenario } from "./mcp-floor.js";
import { operationScenarios } from "./operations.js";
import { processFloorScenario } from "./process-floor.js";
import { retentionScenario } from "./retention.js";
import { sessionCountScenario } from "./session-count.js";
import { v2PeerScenario } from "./v2-peer.js";
import { watchLatencyScenario } from "./watch-latency.js";
import { webDashboardScenario } from "./web-dashboard.js";

/** Every scenario, in the order a run executes them (floors first, so ratios have them). */
export const SCENARIOS: readonly Scenario[] = [
  floorsScenario,
  processFloorScenario,
  curlFloorScenario,
  concurrentHttpFloorScenario,
  concurrentCommitFloorScenario,
  mcpFloorScenario,
  ...operationScenarios,
  libraryPeersScenario,
  docSizeScenario,
  sessionCountScenario,
  concurrencyScenario,
  watchLatencyScenario,
  retentionScenario,
  cliScenario,
  daemonScenario,
  daemonConcurrencyScenario,
  mcpScenario,
  webDashboardScenario,
  v2PeerScenario,
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
