#!/usr/bin/env bun
// scryp: the single entry point. Only the CLI boundary prints errors and exits.
//
// The same file is the entry of the signature-checking threads (node/verifier.ts starts
// workers from the program's own entry, which works alike from source and from the
// single executable), so a worker thread becomes a verifier instead of a CLI.

if (!Bun.isMainThread) {
  await import('./node/verify-worker.ts');
} else {
  (await import('./log.ts')).chooseColour(process.stdout.isTTY === true, process.env); // before citty loads
  const { runCli } = await import('./cli/main.ts');
  await runCli(process.argv.slice(2));
}

export {};
