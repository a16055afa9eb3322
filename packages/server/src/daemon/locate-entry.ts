/**
 * Finding a store's daemon without loading the framework or an adapter: `@statehouse/server/locate`.
 * The CLI imports this on every command it might forward.
 */
export {
  MAX_SOCKET_PATH_BYTES,
  checkSocketPath,
  daemonPaths,
  readDiscovery,
  runtimeDir,
  storeKey,
  type DaemonPaths,
  type DiscoveryRecord,
  type LocateOptions,
} from "./locate.js";
export { probeHealth, type HealthReport } from "./health-probe.js";
export { probeSocket } from "./socket-files.js";
