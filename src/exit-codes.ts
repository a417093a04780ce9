// How scryp's processes end (docs/OPERATIONS.md "Exit codes"): what a script or a service
// manager reads. The node's own failures use the BSD sysexits numbers a unit file expects
// (EX_SOFTWARE, EX_IOERR); a prompt cancelled with Ctrl-C ends as a shell's SIGINT would.

export const exit_code = {
  /** Done; for `scryp node`, stopped (SIGTERM, Ctrl-C). */
  ok: 0,
  /** An error: a bad file, a refusal to start, a wrong passphrase (the message says which). */
  error: 1,
  /** A usage error: a mistyped flag or argument. */
  usage: 2,
  /** Refused or void: the servers said no. */
  refused: 3,
  /** No answer in time. */
  timeout: 4,
  /** A broken invariant in the node: a bug (EX_SOFTWARE). */
  internal: 70,
  /** The disk failed under the node (EX_IOERR): the ledger is intact as of its last commit. */
  storage: 74,
  /** Cancelled at a prompt with Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;
