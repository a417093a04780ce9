// Row "start": ms from launching `dist/scryp node` to its first INFO answer, beside the
// time `dist/scryp --help` takes to run and exit (the executable's own start-up cost).

import { Kind, Status } from '../src/client/codec.ts';
import { encodeRequest, requestBytesFor } from '../src/client/codec.ts';
import { binary, ProcessCluster } from '../test/helpers/processes.ts';
import { percentile, type Row } from './report.ts';

async function firstInfo(port: number, deadlineMs: number): Promise<boolean> {
  let answered = false;
  const socket = await Bun.udpSocket({ binaryType: 'uint8array', socket: {
      data: (_s, data) => {
        answered = data[8] === Status.OK;
      },
      error: () => {},
    },
  });
  const request = encodeRequest({ kind: Kind.INFO, requestId: 1, length: requestBytesFor(Kind.INFO) });
  const deadline = performance.now() + deadlineMs;
  while (!answered && performance.now() < deadline) {
    try {
      socket.send(request, port, '127.0.0.1');
    } catch {
      // not listening yet: ICMP refused
    }
    await Bun.sleep(2);
  }
  socket.close();
  return answered;
}

export async function startBench(quick: boolean): Promise<Row> {
  const runs = quick ? 3 : 10;
  const helpTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const help = Bun.spawn([binary, '--help'], { stdout: 'ignore', stderr: 'ignore' });
    await help.exited;
    helpTimes.push(performance.now() - t);
  }
  const startTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cluster = await ProcessCluster.create({ servers: 1, periodMs: 1000 });
    try {
      const t = performance.now();
      const server = cluster.start(0, ['--log-level', 'warn']);
      if (!(await firstInfo(server.port, 5_000))) throw new Error(`bench: the node did not answer INFO\n${cluster.logs()}`);
      startTimes.push(performance.now() - t);
    } finally {
      await cluster.stop();
    }
  }
  const start = percentile(startTimes, 50);
  const help = percentile(helpTimes, 50);
  return {
    row: 'start',
    measured: `${start.toFixed(0)} ms to the first INFO answer (median of ${runs}; max ${Math.max(...startTimes).toFixed(0)})`,
    reference: `scryp --help: ${help.toFixed(0)} ms`,
    ratio: `${(start / help).toFixed(1)}× --help`,
    target: '≤ 150 ms',
    met: start <= 150,
  };
}
