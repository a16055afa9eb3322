import type { FastifyInstance } from "fastify";
import type { CliRunner } from "../cli-runner.js";
import { sendJson } from "./reply.js";

/** Bounds of a forwarded command line: a hook's command is a few hundred bytes. */
const MAX_ARGS = 256;
const MAX_TEXT = 64 * 1024;

/**
 * `POST /v1/cli`: runs one `statehouse` command in the daemon for the CLI's thin client, so a hook
 * pays for starting Node and one small module instead of loading the whole CLI (as eslint_d or
 * Nailgun do for their tools). Served only when the daemon was given a runner (`statehouse serve`).
 */
export function cliRoutes(app: FastifyInstance, runner: CliRunner): void {
  app.post<{ Body: { argv: string[]; cwd: string; env: Record<string, string>; stdoutTty: boolean; stderrTty: boolean; version: string } }>(
    "/v1/cli",
    {
      schema: {
        tags: ["cli"],
        summary: "Run a statehouse CLI command in the daemon (the CLI's forwarding; output and exit status come back)",
        body: {
          type: "object",
          required: ["argv", "cwd", "env", "stdoutTty", "stderrTty", "version"],
          additionalProperties: false,
          properties: {
            argv: { type: "array", maxItems: MAX_ARGS, items: { type: "string", maxLength: MAX_TEXT } },
            cwd: { type: "string", maxLength: 4096 },
            env: { type: "object", maxProperties: 16, additionalProperties: { type: "string", maxLength: 4096 } },
            stdoutTty: { type: "boolean" },
            stderrTty: { type: "boolean" },
            version: { type: "string", maxLength: 64 },
          },
        },
      },
    },
    async (request, reply) => sendJson(reply, 200, await runner(request.body)),
  );
}
