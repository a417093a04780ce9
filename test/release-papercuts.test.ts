// Papercuts a newcomer met (issue 12 §5), kept fixed: `scryp --help | cat` printed colour
// codes (now only a terminal gets colour, and NO_COLOR set to anything turns it off), and
// `bun run bench --quick` left docs/BENCHMARKS.quick.md in the work tree (now it writes
// to the temporary directory). And one a newcomer would meet next: a command in the
// operators' page with a flag the executable does not know.

import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mainCommand, unknownFlag } from '../src/cli/main.ts';
import { chooseColour } from '../src/log.ts';
import { killAll, runProgram, show } from './helpers/cli-run.ts';
import { binary, ensureBinary, root } from './helpers/processes.ts';

setDefaultTimeout(60_000);
afterEach(killAll);

const ansi = /\x1b\[[0-9;]*m/;
const scriptTool = ['/usr/bin/script', '/bin/script'].find((path) => existsSync(path));

/** The executable on a pseudo-terminal (util-linux `script`), as a person at a shell runs it. */
function onTerminal(command: string, env: Record<string, string | undefined> = process.env) {
  return runProgram(['-qec', command, '/dev/null'], { program: [scriptTool!], env });
}

describe('colour only for a person at a terminal', () => {
  test('chooseColour: a terminal without NO_COLOR; otherwise none, said to citty as NO_COLOR=1', () => {
    const cases: [boolean, Record<string, string>, boolean][] = [
      [true, {}, true],
      [true, { NO_COLOR: '' }, true],
      [true, { NO_COLOR: '1' }, false],
      [true, { NO_COLOR: 'yes' }, false],
      [true, { NO_COLOR: '0' }, false], // any value, as no-color.org says
      [false, {}, false],
    ];
    for (const [terminal, given, wanted] of cases) {
      const env: Record<string, string | undefined> = { ...given };
      expect(chooseColour(terminal, env), JSON.stringify([terminal, given])).toBe(wanted);
      if (!wanted) expect(env.NO_COLOR).toBe('1');
    }
  });

  test('scryp --help piped: no colour codes; NO_COLOR changes nothing there', async () => {
    ensureBinary();
    const env = { ...process.env };
    delete env.NO_COLOR;
    delete env.CI;
    delete env.TEST;
    for (const args of [['--help'], ['node', '--help'], ['network', 'new', '--help']]) {
      const r = await runProgram(args, { env });
      expect(r.exitCode, show(r)).toBe(0);
      expect(r.stdout).toContain('USAGE');
      expect(ansi.test(r.stdout), `${args.join(' ')}: ${JSON.stringify(r.stdout.slice(0, 80))}`).toBe(false);
    }
  });

  test.skipIf(scriptTool === undefined)('on a terminal: colour, unless NO_COLOR is set (to anything)', async () => {
    ensureBinary();
    const env: Record<string, string | undefined> = { ...process.env, TERM: 'xterm-256color' };
    delete env.NO_COLOR;
    delete env.CI;
    delete env.TEST;
    const coloured = await onTerminal(`${binary} --help`, env);
    expect(coloured.exitCode, show(coloured)).toBe(0);
    expect(coloured.stdout).toContain('USAGE');
    expect(ansi.test(coloured.stdout)).toBe(true);
    for (const value of ['1', 'true']) {
      const plain = await onTerminal(`${binary} --help`, { ...env, NO_COLOR: value });
      expect(plain.exitCode, show(plain)).toBe(0);
      expect(plain.stdout).toContain('USAGE');
      expect(ansi.test(plain.stdout), `NO_COLOR=${value}`).toBe(false);
    }
  });
});

describe('bun run bench --quick', () => {
  test('writes its table to the temporary directory, never into docs/', async () => {
    const scratch = join(tmpdir(), 'scryp-BENCHMARKS.quick.md');
    rmSync(scratch, { force: true });
    const before = existsSync(join(root, 'docs', 'BENCHMARKS.quick.md'));
    const r = await runProgram(['bench/main.ts', '--quick', '--only', 'verify'], { program: ['bun'], cwd: root, timeoutMs: 60_000 });
    expect(r.exitCode, show(r)).toBe(0);
    expect(r.stdout).toContain(`written to ${scratch}`);
    expect(readFileSync(scratch, 'utf8')).toContain('verify');
    expect(existsSync(join(root, 'docs', 'BENCHMARKS.quick.md'))).toBe(before); // not made by this run
    rmSync(scratch, { force: true });
  });
});

describe('docs/OPERATIONS.md and README.md', () => {
  test('every scryp command they show names a real command and only flags it knows', () => {
    const commands = mainCommand.subCommands as Record<string, unknown>;
    let checked = 0;
    for (const doc of ['docs/OPERATIONS.md', 'README.md']) {
      const text = readFileSync(join(root, doc), 'utf8').replace(/\\\n\s*/g, ' ');
      for (const match of text.matchAll(/(?:^|[\s`'(/])scryp ([a-z][a-z-]*)([^`'\n|)$]*)/g)) {
        const command = match[1]!;
        if (!(command in commands)) continue; // prose: "scryp servers", "scryp on"
        // --help is answered before flags are checked (src/cli/main.ts runCli).
        const words = match[2]!.trim().split(/\s+/).filter((word) => word !== '' && word !== '--help');
        expect(unknownFlag([command, ...words]), `${doc}: scryp ${command}${match[2]}`).toBeNull();
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });
});
