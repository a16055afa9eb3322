/**
 * The contract between the CLI's thin client and the daemon's `POST /v1/cli`: the daemon serves
 * it with a runner the CLI supplies (`statehouse serve`), so the server never imports the CLI.
 */

/** A command line to run against the daemon's store, as the thin client saw it. */
export interface CliRequest {
  readonly argv: readonly string[];
  /** The client's working directory (where `.statehouse` was looked for). */
  readonly cwd: string;
  /** The client's NO_COLOR, FORCE_COLOR, TERM, STATEHOUSE_DEBUG, … (a few named variables only). */
  readonly env: Readonly<Record<string, string>>;
  readonly stdoutTty: boolean;
  readonly stderrTty: boolean;
  /** The client's version: another version's output or options may differ, so it is not run. */
  readonly version: string;
}

/** The command's outcome; `fallback` (with why) when the client must run it itself, untouched. */
export type CliResponse = { readonly status: number; readonly stdout: string; readonly stderr: string } | { readonly fallback: string };

export type CliRunner = (request: CliRequest) => Promise<CliResponse>;
