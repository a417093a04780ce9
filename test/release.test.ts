// `bun run release`: four executables cross-compiled with the flags of `bun run build`,
// each of the right kind (ELF x86-64, ELF aarch64, Mach-O arm64, PE x86-64), listed in
// SHA256SUMS with their true digests; and the linux-arm64 one run under qemu-user
// (Debian's qemu-user-static, with libc6-arm64-cross for its loader; .ci/run installs
// them) for --help and keygen, whose key must be the one this machine derives. And
// docs/scryp.service, the systemd unit, as systemd-analyze reads it.

import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAddress } from '../src/address.ts';
import { toHex } from '../src/bytes.ts';
import { unknownFlag } from '../src/cli/main.ts';
import { buildFlags, fileNameOf, release_targets } from '../src/release.ts';
import { formatSeed } from '../src/seed.ts';
import { signerFromSeed } from '../src/signature.ts';
import packageJson from '../package.json';
import { runProgram, show } from './helpers/cli-run.ts';
import { testSeed } from './helpers/keys.ts';
import { ensureBinary, root } from './helpers/processes.ts';

setDefaultTimeout(180_000);

const out = mkdtempSync(join(tmpdir(), 'scryp-release-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The release, built once for the tests below (about 10 s; the first ever needs the network). */
let built: Promise<{ exitCode: number | null; stderr: string }> | null = null;
function buildRelease(): Promise<{ exitCode: number | null; stderr: string }> {
  built ??= (async () => {
    const child = Bun.spawn(['bun', 'run', 'release', '--out', join(out, 'release')], { cwd: root, stdout: 'pipe', stderr: 'pipe' });
    const [, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
    return { exitCode: await child.exited, stderr };
  })();
  return built;
}

/** qemu-user for aarch64 and the arm64 loader it needs (-L), when this machine has them. */
function qemu(): { program: string; prefix: string } | null {
  const program = ['/usr/bin/qemu-aarch64-static', '/usr/bin/qemu-aarch64'].find((path) => existsSync(path));
  const prefix = ['/usr/aarch64-linux-gnu', '/'].find((dir) => existsSync(join(dir, 'lib', 'ld-linux-aarch64.so.1')));
  return program === undefined || prefix === undefined ? null : { program, prefix };
}

describe('bun run release', () => {
  test('a release is built as `bun run build` is: the same flags', () => {
    expect(buildFlags()).toEqual(expect.arrayContaining(['--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig']));
    expect(buildFlags('bun build src/main.ts --compile --bytecode --format=esm --no-compile-autoload-dotenv --outfile dist/scryp')).toEqual(['--bytecode', '--format=esm', '--no-compile-autoload-dotenv']);
    expect(buildFlags().some((flag) => flag.startsWith('--outfile') || flag === '--compile' || flag.startsWith('--target'))).toBe(false);
    expect(packageJson.scripts.release).toBe('bun src/release.ts');
    expect(release_targets.map((target) => target.name)).toEqual(['linux-x64', 'linux-arm64', 'darwin-arm64', 'windows-x64']);
    expect(release_targets.map((target) => fileNameOf(target, '1.2.3'))).toEqual(['scryp-1.2.3-linux-x64', 'scryp-1.2.3-linux-arm64', 'scryp-1.2.3-darwin-arm64', 'scryp-1.2.3-windows-x64.exe']);
  });

  test('four executables of the right kind, and SHA256SUMS with their digests', async () => {
    const result = await buildRelease();
    expect(result.exitCode, result.stderr).toBe(0);
    const dir = join(out, 'release');
    const sums = readFileSync(join(dir, 'SHA256SUMS'), 'utf8');
    const lines = sums.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      const [digest, file] = line.split('  ');
      expect(digest).toMatch(/^[0-9a-f]{64}$/);
      expect(createHash('sha256').update(readFileSync(join(dir, file!))).digest('hex'), file).toBe(digest!);
    }
    const header = (target: string) => readFileSync(join(dir, fileNameOf(release_targets.find((t) => t.name === target)!))).subarray(0, 4096);
    const elfMachine = (bytes: Uint8Array) => (bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46 ? new DataView(bytes.buffer, bytes.byteOffset).getUint16(18, true) : -1);
    expect(elfMachine(header('linux-x64'))).toBe(0x3e); // EM_X86_64
    expect(elfMachine(header('linux-arm64'))).toBe(0xb7); // EM_AARCH64
    const macho = new DataView(header('darwin-arm64').buffer, header('darwin-arm64').byteOffset);
    expect(macho.getUint32(0, true)).toBe(0xfeedfacf); // MH_MAGIC_64
    expect(macho.getUint32(4, true)).toBe(0x0100000c); // CPU_TYPE_ARM64
    const pe = header('windows-x64');
    const peView = new DataView(pe.buffer, pe.byteOffset);
    expect(String.fromCharCode(pe[0]!, pe[1]!)).toBe('MZ');
    const peOffset = peView.getUint32(0x3c, true);
    expect(peView.getUint32(peOffset, true)).toBe(0x00004550); // "PE\0\0"
    expect(peView.getUint16(peOffset + 4, true)).toBe(0x8664); // IMAGE_FILE_MACHINE_AMD64
  });

  test.skipIf(qemu() === null)('the linux-arm64 executable under qemu-user: --help, and keygen derives the key this machine does', async () => {
    const result = await buildRelease();
    expect(result.exitCode, result.stderr).toBe(0);
    const { program, prefix } = qemu()!;
    const arm64 = join(out, 'release', fileNameOf(release_targets.find((target) => target.name === 'linux-arm64')!));
    const help = await runProgram(['-L', prefix, arm64, '--help'], { program: [program], timeoutMs: 120_000, env: { ...process.env, NO_COLOR: '1' } });
    expect(help.exitCode, show(help)).toBe(0);
    expect(help.stdout).toContain('USAGE scryp');
    expect(help.stdout).toContain('keygen');
    // A known seed: the arm64 build must print the public key x64 derives from it.
    const dir = join(out, 'wallet');
    mkdirSync(dir);
    const seed = testSeed('release arm64');
    writeFileSync(join(dir, '.seed'), formatSeed(seed), { mode: 0o600 });
    const keygen = await runProgram(['-L', prefix, arm64, 'keygen', '--dir', dir], { program: [program], timeoutMs: 120_000 });
    expect(keygen.exitCode, show(keygen)).toBe(0);
    const key = signerFromSeed(seed).publicKey;
    expect(keygen.stdout).toContain(toHex(key));
    expect(keygen.stdout).toContain(encodeAddress(key));
    // And a new one: created with mode 0600, and a key that this machine reads back.
    const fresh = join(out, 'fresh');
    const created = await runProgram(['-L', prefix, arm64, 'keygen', '--dir', fresh], { program: [program], timeoutMs: 120_000 });
    expect(created.exitCode, show(created)).toBe(0);
    expect(existsSync(join(fresh, '.seed'))).toBe(true);
  });

  if (qemu() === null) {
    test('(qemu-user is missing here: the arm64 run above was skipped; .ci/run installs qemu-user-static and libc6-arm64-cross)', () => {
      expect(qemu()).toBeNull();
    });
  }
});

describe('docs/scryp.service', () => {
  const unit = readFileSync(join(root, 'docs', 'scryp.service'), 'utf8');
  const settings = (key: string) => unit.split('\n').filter((line) => line.startsWith(`${key}=`)).map((line) => line.slice(key.length + 1));
  const systemdAnalyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((path) => existsSync(path));

  test('its own user and state directory, restarted on failure, hardened, the passphrase from a systemd credential', () => {
    expect(settings('User')).toEqual(['scryp']);
    expect(settings('StateDirectory')).toEqual(['scryp']);
    expect(settings('Restart')).toEqual(['on-failure']);
    for (const [key, value] of [['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['ProtectHome', 'yes'], ['PrivateTmp', 'yes'], ['PrivateDevices', 'yes'], ['CapabilityBoundingSet', '']]) {
      expect(settings(key!), key).toEqual([value!]);
    }
    expect(settings('MemoryDenyWriteExecute')).toEqual([]); // the JIT needs it off (the unit says why)
    expect(settings('LoadCredential')).toEqual(['passphrase:/etc/scryp/passphrase']);
    const exec = settings('ExecStart')[0]!.split(' ');
    expect(exec[0]).toBe('/usr/local/bin/scryp');
    // Every flag it gives is one `scryp node` knows (the same check the CLI makes).
    expect(unknownFlag(exec.slice(1))).toBeNull();
    expect(exec.slice(1).join(' ')).toContain('--passphrase-file ${CREDENTIALS_DIRECTORY}/passphrase');
    expect(exec.slice(1).join(' ')).toContain('--dir /var/lib/scryp');
    expect(exec.slice(1).join(' ')).toContain('--metrics 127.0.0.1:9464');
  });

  test.skipIf(systemdAnalyze === undefined)('systemd-analyze verify reads it without a complaint, and rates its exposure low', async () => {
    // verify wants ExecStart's program to exist: the compiled executable stands in for /usr/local/bin/scryp.
    const dir = mkdtempSync(join(tmpdir(), 'scryp-unit-'));
    try {
      writeFileSync(join(dir, 'scryp.service'), unit.replace('ExecStart=/usr/local/bin/scryp ', `ExecStart=${ensureBinary()} `));
      const verify = await runProgram(['verify', join(dir, 'scryp.service')], { program: [systemdAnalyze!], cwd: dir });
      expect(verify.exitCode, show(verify)).toBe(0);
      // systemd-analyze exits 0 even for unknown keys and bad values: it complains on stderr.
      expect(verify.stderr, show(verify)).toBe('');
      const security = await runProgram(['security', '--offline=true', join(dir, 'scryp.service')], { program: [systemdAnalyze!], cwd: dir });
      const exposure = /Overall exposure level for scryp\.service: ([0-9.]+)/.exec(security.stdout + security.stderr);
      if (exposure !== null) expect(Number(exposure[1])).toBeLessThanOrEqual(2.5); // older systemd has no --offline: nothing to rate
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
