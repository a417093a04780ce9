import { defineCommand } from 'citty';
import { equal, toHex } from '../bytes.ts';
import { devnetNetwork, devnetServerDir, devnetServerForPort, devnetServerSeed } from '../devnet.ts';
import { ScrypError } from '../errors.ts';
import { logger } from '../log.ts';
import { loadOrCreateSeed } from '../seed.ts';
import { ScrypNode } from '../node/server.ts';
import { type MetricsAddress, parseMetricsAddress } from '../node/metrics.ts';
import type { GatewayConfig } from '../node/gateway.ts';
import { checkGatewayUrl } from '../gateway-record.ts';
import { loadAssets } from '../wallet/assets.ts';
import { pocketPages } from '../wallet/pocket-pages.ts';
import { type ListenAddress, parseListenAddress } from '../node/listen-address.ts';
import { action, addressArg, chooseNetwork, integerArg, logArgs, networkArg, setupLogs, UsageError } from './common.ts';
import { passphraseArg, serverPassphrase } from './passphrase.ts';

export const nodeCommand = defineCommand({
  meta: {
    name: 'node',
    description:
      'Run a server. It finds itself in the network file by the key in DIR/.seed. Without --network and --dir, --port picks the devnet server on that port (4001, 4002 or 4003), keeping its state in ./seeds/devnet/server<i> (server 0 on 4001, 1 on 4002, 2 on 4003).',
  },
  args: {
    ...networkArg,
    dir: { type: 'string', description: 'server directory: .seed and ledger.sqlite', valueHint: 'DIR' },
    port: { type: 'string', description: 'listen port (default: this server\'s port in the network file)', valueHint: 'PORT' },
    listen: { type: 'string', description: 'listen address (default: this server\'s address in the network file, or where it moved)', valueHint: 'HOST' },
    address: {
      type: 'string',
      description: 'this server\'s address now, when it moved from the one in the network file: it signs an address record, tells every server, and listens there unless --listen/--port say otherwise (docs/OPERATIONS.md, Moving a server)',
      valueHint: 'HOST:PORT',
    },
    'verify-workers': { type: 'string', description: 'threads that check payment signatures (default: one per spare core; 0: inline)', valueHint: 'N' },
    'client-rate': { type: 'string', description: 'requests per second allowed from one client address (default 200)', valueHint: 'N' },
    'peer-idle-ms': { type: 'string', description: 'close an inbound peer connection silent this long (default 60000)', valueHint: 'MS' },
    'frame-deadline-ms': { type: 'string', description: 'a peer batch must arrive whole within this long (default 30000)', valueHint: 'MS' },
    metrics: { type: 'string', description: 'serve Prometheus /metrics and /healthz on PORT or HOST:PORT (a port alone: 127.0.0.1; off unless given)', valueHint: 'ADDRESS' },
    http: { type: 'string', description: 'serve the HTTP gateway (POST /v1/request, GET /v1/network, /v1/gateways, the pocket wallet at /) on PORT or HOST:PORT (a port alone: 127.0.0.1; off unless given)', valueHint: 'ADDRESS' },
    'http-tls-cert': { type: 'string', description: 'serve the gateway over HTTPS with this PEM certificate (with --http-tls-key)', valueHint: 'FILE' },
    'http-tls-key': { type: 'string', description: 'the PEM key of --http-tls-cert', valueHint: 'FILE' },
    'http-public': { type: 'string', description: 'the https:// (or http://) URL by which browsers reach this gateway: the server signs it in a gateway record that every server passes on (GET /v1/gateways)', valueHint: 'URL' },
    'http-trusted-proxy': { type: 'string', description: 'the address of a reverse proxy in front of the gateway: its X-Forwarded-For names the source that the rate limit counts', valueHint: 'ADDRESS' },
    'clock-offset-ms': { type: 'string', description: 'shift this server\'s clock (fault testing only)', valueHint: 'MS' },
    ...passphraseArg,
    ...logArgs,
  },
  run: ({ args }) =>
    action(async () => {
      setupLogs(args);
      const network = chooseNetwork(args.network);
      for (const option of ['http-tls-cert', 'http-tls-key', 'http-public', 'http-trusted-proxy'] as const) {
        if (args[option] !== undefined && args.http === undefined) throw new UsageError(`--${option} goes with --http ADDRESS (where the gateway listens)`);
      }
      const port = args.port === undefined ? undefined : integerArg(args.port, '--port', 1, 65535);
      let dir = args.dir;
      if (dir === undefined) {
        if (args.network !== undefined) throw new UsageError('--dir is required with --network');
        if (port === undefined) throw new UsageError('give --port 4001, 4002 or 4003 for a devnet server, or --dir DIR');
        const index = devnetServerForPort(port);
        if (index === null) throw new UsageError(`no devnet server listens on port ${port} (4001, 4002 or 4003)`);
        dir = devnetServerDir(index);
        // The devnet's directories are made from its embedded test keys, never from fresh ones.
        const { seed } = loadOrCreateSeed(dir, devnetServerSeed(index));
        if (!equal(seed, devnetServerSeed(index))) throw new ScrypError('BAD_SEED_FILE', `${dir}/.seed is not devnet server ${index}'s key`);
      }
      const address = args.address === undefined ? undefined : addressArg(args.address, '--address');
      const passphrase = await serverPassphrase(dir, args['passphrase-file']); // an encrypted .seed: from the file or the terminal
      const clockOffsetMs = args['clock-offset-ms'] === undefined ? 0 : integerArg(args['clock-offset-ms'], '--clock-offset-ms', -86_400_000, 86_400_000);
      const node = await ScrypNode.start({
        network,
        dir,
        ...(port === undefined ? {} : { port }),
        ...(args.listen === undefined ? {} : { hostname: args.listen }),
        ...(address === undefined ? {} : { address }),
        clockOffsetMs,
        ...(passphrase === undefined ? {} : { passphrase }),
        ...(args['peer-idle-ms'] === undefined ? {} : { peerIdleMs: integerArg(args['peer-idle-ms'], '--peer-idle-ms', 50, 3_600_000) }),
        ...(args['frame-deadline-ms'] === undefined ? {} : { frameDeadlineMs: integerArg(args['frame-deadline-ms'], '--frame-deadline-ms', 50, 3_600_000) }),
        ...(args['verify-workers'] === undefined ? {} : { verifyWorkers: integerArg(args['verify-workers'], '--verify-workers', 0, 64) }),
        ...(args['client-rate'] === undefined ? {} : { clientRequestsPerSecond: integerArg(args['client-rate'], '--client-rate', 1, 10_000_000) }),
        ...(args.metrics === undefined ? {} : { metrics: metricsArg(args.metrics) }),
        ...(args.http === undefined ? {} : { http: { ...gatewayArgs(args), pages: pocketPages(await loadAssets()) } }), // the pocket wallet at GET /
      });
      if (network === devnetNetwork) logger('node').info(`devnet: test keys only, network id ${toHex(network.id).slice(0, 16)}…`);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return; // a second signal (Ctrl-C reaches a whole process group) changes nothing
          stopping = true;
          logger('node').info(`${signal}: stopping`);
          node.stop();
          resolve();
        };
        process.on('SIGINT', () => stop('SIGINT'));
        process.on('SIGTERM', () => stop('SIGTERM'));
      });
    }),
});

/** --http and the options that go with it; a malformed one is a usage error, files that cannot be used are GATEWAY_TLS at start. */
function gatewayArgs(args: { http?: string; 'http-tls-cert'?: string; 'http-tls-key'?: string; 'http-trusted-proxy'?: string; 'http-public'?: string }): GatewayConfig {
  const cert = args['http-tls-cert'];
  const key = args['http-tls-key'];
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--http-tls-cert and --http-tls-key go together: give both, or neither');
  const proxy = args['http-trusted-proxy'];
  if (proxy !== undefined && !/^[0-9a-fA-F:.]+$/.test(proxy)) throw new UsageError(`--http-trusted-proxy: expected the proxy's IP address, got "${proxy}"`);
  let address: ListenAddress;
  try {
    address = parseListenAddress(args.http!, '--http', '127.0.0.1:8001');
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^BAD_ADDRESS: /, ''));
  }
  const publicUrl = args['http-public'];
  if (publicUrl !== undefined) {
    try {
      checkGatewayUrl(publicUrl, '--http-public');
    } catch (error) {
      throw new UsageError((error as Error).message.replace(/^[A-Z_]+: /, ''));
    }
  }
  return {
    address,
    ...(publicUrl === undefined ? {} : { publicUrl }),
    ...(cert === undefined || key === undefined ? {} : { tls: { certFile: cert, keyFile: key } }),
    ...(proxy === undefined ? {} : { trustedProxy: proxy }),
  };
}

/** A malformed --metrics is a usage error, like any malformed option; an address that cannot be served is BAD_ADDRESS at start. */
function metricsArg(text: string): MetricsAddress {
  try {
    return parseMetricsAddress(text);
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^BAD_ADDRESS: /, ''));
  }
}
