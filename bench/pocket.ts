// Rows of the pocket wallet (the page that runs the wallet in a phone's browser), against
// three compiled servers with --http (each signing its gateway record), Chromium at 390×844
// with touch, the wallet kept in the page from an earlier visit (the genesis wallet, restored).
//
// "pocket page": ms from opening the URL (GET / of server 0's gateway) to the balance drawn
// with a quorum's signed replies checked in the page (the network file, the gateways and
// their records, the network's time, the chain of changes, BALANCE from every server),
// with the CPU throttled 4× (CDP Emulation.setCPUThrottlingRate, a mid-range phone's
// speed); beside it, the same page unthrottled, in the same run. Target ≤ 1.5 s.
//
// "pocket confirmation": at period 1000 ms, ms from Sign and send to Committed as the page
// shows it (the key already open), payments to fresh accounts at random instants of the
// period; beside it, `scryp pay` to committed in the same run (process start included),
// started at the same instants of the period, so that both wait alike for the period's end
// (0.5 × period on average) and the medians compare the rest.
//
// Both rows read the page's own clock: the frame after the text appeared (and, for the
// confirmation, the click as the page received it). Playwright's locator.waitFor looks at
// 0, 20, 50, 100 and 100 ms, then every 500 ms: timed by it, a page that is done at 1.30 s
// was counted at 1.87 s, and a payment committed at once up to 500 ms late.

import { chromium } from 'playwright-core';
import { encodeAddress } from '../src/address.ts';
import { seedToPhrase } from '../src/recovery-phrase.ts';
import { formatSeed } from '../src/seed.ts';
import { signerFromSeed } from '../src/signature.ts';
import { browserSkipReason, chromium_args, chromium_path } from '../test/helpers/browser.ts';
import { phone_size, startWithGateways } from '../test/helpers/pocket.ts';
import { testSeed } from '../test/helpers/keys.ts';
import { binary, ProcessCluster } from '../test/helpers/processes.ts';
import { percentile, type Row } from './report.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const page_target_ms = 1_500;
/** The page's median confirmation may be this much above scryp pay's (both wait for the same period's end): "the same floor". */
const confirmation_gap_ms_max = 50;
const throttle_rate = 4;

const freshAddress = () => encodeAddress(signerFromSeed(crypto.getRandomValues(new Uint8Array(32))).publicKey);

/** The page's marks, kept in the page (an init script): when the clock stops, by the page's own clock (Date.now()). */
interface Marks {
  /** The frame after the overview first said which servers agree (0: not yet). */
  agreed: number;
  /** The Sign and send click as the page received it. */
  signed: number;
  /** The frame after the payment signed last showed Committed ✓ (0: not yet). */
  committed: number;
}

/**
 * Runs in every page before its own scripts (JavaScript text: bench/ has no DOM types):
 * keeps Marks in window.scrypBench. Committed ✓ counts only after the payment's own screen
 * was drawn without it (the screen of the payment before still says it until then).
 */
const mark_drawn = `{
  const marks = { agreed: 0, signed: 0, committed: 0 };
  let armed = false;
  globalThis.scrypBench = marks;
  const atFrame = (set) => requestAnimationFrame(() => set(Date.now()));
  const look = () => {
    if (marks.agreed === 0 && /servers agree/.test(document.getElementById('agreement')?.textContent ?? '')) {
      marks.agreed = -1;
      atFrame((at) => (marks.agreed = at));
    }
    const final = document.getElementById('stage-final')?.textContent ?? '';
    if (marks.signed > 0 && marks.committed === 0) {
      if (!final.includes('✓')) armed = true;
      else if (armed && final.includes('Committed ✓')) {
        marks.committed = -1;
        atFrame((at) => (marks.committed = at));
      }
    }
  };
  document.addEventListener('click', (event) => {
    if (event.target?.closest?.('#confirm-sign') == null) return;
    marks.signed = Date.now();
    marks.committed = 0;
    armed = false;
  }, true);
  new MutationObserver(look).observe(document, { subtree: true, childList: true, characterData: true });
}`;

type Bench = { scrypBench: Marks };

/**
 * The page's marks once `which` is set: read every 50 ms for 30 s at most. page.evaluate,
 * not waitForFunction or a locator: those inject Playwright's script into the page (42 ms
 * of the throttled page's thread, in its trace, in the middle of its start).
 */
async function marksOf(page: import('playwright-core').Page, which: 'agreed' | 'committed'): Promise<Marks> {
  for (let read = 0; read < 600; read++) {
    const marks = await page.evaluate(() => (globalThis as unknown as Bench).scrypBench);
    if (marks[which] > 0) return marks;
    await Bun.sleep(50);
  }
  throw new Error(`bench pocket: the page never marked ${which} (30 s)`);
}

/** Sleeps until the instant `phase` (0 ≤ phase < 1) of a period of `periodMs`. */
const untilPhase = (phase: number, periodMs: number) => Bun.sleep((phase * periodMs - (Date.now() % periodMs) + periodMs) % periodMs);

export async function pocketBench(quick: boolean, which: { page: boolean; confirmation: boolean }): Promise<Row[]> {
  const skip = browserSkipReason();
  if (skip !== null) {
    const none = (row: string, target: string): Row => ({ row, measured: `not measured: ${skip}`, reference: '—', ratio: '—', target, met: null });
    return [...(which.page ? [none('pocket page', `≤ ${page_target_ms} ms`)] : []), ...(which.confirmation ? [none('pocket confirmation', `the floor of scryp pay (p50 within ${confirmation_gap_ms_max} ms of its)`)] : [])];
  }
  const cluster = await ProcessCluster.create({ periodMs: 1000, wallets: [{ label: 'genesis', balance: 1_000_000_000 }] });
  const browser = await chromium.launch({ executablePath: chromium_path, headless: true, args: chromium_args, timeout: 20_000 });
  try {
    const url = `${(await startWithGateways(cluster))[0]}/`;
    if (!(await cluster.until(async () => ((await cluster.committedOf(0)) ?? 0) > 0, 15_000))) throw new Error(`bench pocket: the servers did not commit\n${cluster.logs()}`);
    const context = await browser.newContext({ viewport: phone_size, isMobile: true, hasTouch: true });
    await context.addInitScript(mark_drawn);
    // The earlier visit: the genesis wallet restored in this browser (not timed).
    const setup = await context.newPage();
    await setup.goto(url);
    await setup.getByRole('button', { name: 'Restore from recovery phrase' }).click();
    await setup.getByLabel('Recovery phrase (24 words)').fill(seedToPhrase(testSeed('wallet genesis')).join(' '));
    await setup.locator('#setup-restore-form').getByLabel('Passphrase', { exact: true }).fill('bench passphrase');
    await setup.locator('#setup-restore-form').getByLabel('Repeat passphrase').fill('bench passphrase');
    await setup.getByRole('button', { name: 'Restore wallet' }).click();
    await setup.locator('#agreement', { hasText: 'servers agree' }).waitFor({ timeout: 30_000 });
    const rows: Row[] = [];
    if (which.page) {
      const runs = quick ? 3 : 10;
      const openTimes = async (rate: number): Promise<number[]> => {
        const times: number[] = [];
        for (let i = 0; i < runs; i++) {
          const page = await context.newPage();
          const cdp = await context.newCDPSession(page);
          await cdp.send('Emulation.setCPUThrottlingRate', { rate });
          const started = Date.now();
          await page.goto(url);
          times.push((await marksOf(page, 'agreed')).agreed - started);
          await page.close();
        }
        return times;
      };
      const throttled = await openTimes(throttle_rate);
      const plain = await openTimes(1);
      const p50 = percentile(throttled, 50);
      const reference = percentile(plain, 50);
      rows.push({
        row: 'pocket page',
        measured: `${p50.toFixed(0)} ms from opening the URL to the balance with a quorum checked, CPU ${throttle_rate}× slower (median of ${runs}; max ${Math.max(...throttled).toFixed(0)})`,
        reference: `the same page unthrottled: ${reference.toFixed(0)} ms`,
        ratio: `${(p50 / reference).toFixed(1)}× unthrottled`,
        target: `≤ ${page_target_ms} ms`,
        met: Math.max(...throttled) <= page_target_ms,
        notes: `three compiled servers with --http (each signing its gateway record), Chromium at 390×844 with touch; the genesis wallet restored in the page once before (its key kept in IndexedDB, locked), then a new tab per run opens GET / of server 0's gateway; timed from before page.goto to the frame after the overview says which servers agree, by the page's own clock (a mark an init script keeps, read with page.evaluate: Playwright's waits poll every 500 ms after the first 270 ms, and inject a script into the page). CPU throttled with CDP Emulation.setCPUThrottlingRate ${throttle_rate}; the reference is the same page, same browser, unthrottled.`,
      });
    }
    if (which.confirmation) rows.push(await confirmation(quick, cluster, setup));
    return rows;
  } finally {
    await browser.close();
    await cluster.stop();
  }
}

async function confirmation(quick: boolean, cluster: ProcessCluster, page: import('playwright-core').Page): Promise<Row> {
  const payments = quick ? 5 : 30;
  const periodMs = cluster.network.periodMs;
  // The key is open (restored in this visit): Sign and send signs at once.
  const phases = Array.from({ length: payments }, () => Math.random()); // the same instants of the period for both
  const pageTimes: number[] = [];
  for (let i = 0; i < payments; i++) {
    await page.getByRole('tab', { name: 'Send' }).click();
    if (await page.getByRole('button', { name: 'New payment' }).isVisible()) await page.getByRole('button', { name: 'New payment' }).click();
    await page.getByLabel('Recipient').fill(freshAddress());
    await page.getByLabel('Amount', { exact: true }).fill('1');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByRole('button', { name: 'Sign and send' }).waitFor();
    await untilPhase(phases[i]!, periodMs);
    await page.getByRole('button', { name: 'Sign and send' }).click();
    const marks = await marksOf(page, 'committed');
    pageTimes.push(marks.committed - marks.signed);
  }
  const wallet = join(cluster.base, 'cli-payer');
  mkdirSync(wallet, { recursive: true });
  writeFileSync(join(wallet, '.seed'), formatSeed(testSeed('wallet genesis')), { mode: 0o600 });
  const cliTimes: number[] = [];
  for (let i = 0; i < payments; i++) {
    await untilPhase(phases[i]!, periodMs);
    const started = performance.now();
    const child = Bun.spawn([binary, 'pay', '--network', cluster.networkFile, '--dir', wallet, '--to', freshAddress(), '--amount', '1', '--log-level', 'warn'], { stdout: 'ignore', stderr: 'ignore' });
    if ((await child.exited) !== 0) throw new Error('bench pocket confirmation: scryp pay did not commit');
    cliTimes.push(performance.now() - started);
  }
  const p50 = percentile(pageTimes, 50);
  const cli = percentile(cliTimes, 50);
  return {
    row: 'pocket confirmation',
    measured: `p50 ${p50.toFixed(0)} ms, p99 ${percentile(pageTimes, 99).toFixed(0)} ms from Sign and send to Committed in the page (period ${periodMs} ms, ${payments} payments to fresh accounts)`,
    reference: `scryp pay: p50 ${cli.toFixed(0)} ms, p99 ${percentile(cliTimes, 99).toFixed(0)} ms`,
    ratio: `p50 ${Math.round(p50 - cli)} ms from scryp pay's`,
    target: `the floor of scryp pay (p50 within ${confirmation_gap_ms_max} ms of its)`,
    met: p50 - cli <= confirmation_gap_ms_max,
    notes: `the same page, its key open; each payment of 1 scryp to a fresh account, Sign and send clicked at a random instant of the period, timed by the page's clock from the click as the page received it to the frame after "Committed ✓"; the reference pays ${payments} fresh accounts with \`scryp pay\` (spawn to exit) in the same run, started at the same instants of the period as the page's clicks. Target: the page's median within ${confirmation_gap_ms_max} ms of scryp pay's.`,
  };
}
