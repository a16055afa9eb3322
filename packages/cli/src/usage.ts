import { ValidationError } from "@statehouse/core";

/**
 * A mistake in the command line itself. It is a core ValidationError (the CLI throws only typed
 * errors) marked `kind: "usage"`, which the CLI reports as E_USAGE with exit status 2, together
 * with the right form of the command.
 */
export function usageError(problem: string, usage: string, help: string): ValidationError {
  return new ValidationError(problem, { details: { kind: "usage", usage, help } });
}
