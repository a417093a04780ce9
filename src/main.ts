#!/usr/bin/env bun
// scryp: the single entry point. Only the CLI boundary prints errors and exits.
import { runMain } from 'citty';
import { mainCommand } from './cli/main.ts';

await runMain(mainCommand);
