/**
 * The daemon around the HTTP app: socket and discovery files, the per-store lock, lifecycle,
 * loopback TCP guard, logging. `@statehouse/server/daemon`.
 */
export { startDaemon, type DaemonOptions, type RunningDaemon } from "./daemon.js";
export { DaemonLogger, isLogLevel, type LogLevel } from "./logger.js";
export {
  parseListenAddress,
  loadOrCreateToken,
  checkTcpRequest,
  exchangeToken,
  sessionCookieValue,
  SESSION_COOKIE,
  type ListenAddress,
} from "./tcp-guard.js";
export { acquireStoreLock, lockName, type StoreLock } from "./store-lock.js";
export * from "./locate-entry.js";
export type { CliRequest, CliResponse, CliRunner } from "../cli-runner.js";
