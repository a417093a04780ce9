// Row "scale": 16 servers on loopback with 1-second periods; every one of 60 consecutive
// periods must be committed by every server. Commits are read from the servers' logs.

import { ProcessCluster } from '../test/helpers/processes.ts';
import type { Row } from './report.ts';

export async function scaleBench(quick: boolean): Promise<Row> {
  const servers = 16;
  const periods = quick ? 8 : 60;
  const periodMs = 1_000;
  const cluster = await ProcessCluster.create({ servers, periodMs, blackoutMs: 100, skewMs: 500 });
  try {
    for (const server of cluster.servers) cluster.start(server.index, ['--log-level', 'info', '--verify-workers', '0']);
    const up = await cluster.until(async () => (await Promise.all(cluster.servers.map((s) => cluster.info(s.index)))).every((info) => info !== null), 60_000, 200);
    if (!up) throw new Error(`bench: not every server started\n${cluster.logs(5)}`);
    // Two periods to settle, then the measured window.
    const first = Math.floor(Date.now() / periodMs) + 2;
    await Bun.sleep((first + periods + 1) * periodMs + 500 - Date.now());
    let missing = 0;
    const missingByServer: number[] = [];
    for (const server of cluster.servers) {
      const committed = new Set([...server.log.matchAll(/committed period (\d+):/g)].map((match) => Number(match[1])));
      let lacking = 0;
      for (let k = first; k < first + periods; k++) if (!committed.has(k)) lacking++;
      missing += lacking;
      missingByServer.push(lacking);
    }
    return {
      row: 'scale',
      measured: missing === 0 ? `all ${servers} servers committed all ${periods} periods` : `${missing} of ${servers * periods} period commits missing (per server: ${missingByServer.join(' ')})`,
      reference: '—',
      ratio: `${(((servers * periods - missing) / (servers * periods)) * 100).toFixed(1)}% committed`,
      target: `${servers} servers, every one of ${periods} periods committed`,
      met: missing === 0,
      notes: 'one signature thread per server is turned off (--verify-workers 0): 16 servers share 2 cores',
    };
  } finally {
    await cluster.stop();
  }
}
