// scryp evidence: the proofs of equivocation the servers hold (docs/PROTOCOL.md §6.9,
// §8.12), each checked here with the network's keys and printed so that anyone can check
// it again: what it proves in words, whom it accuses (key and address), the signed
// messages in hex with the exact bytes each signature covers, and whether each verifies.
// Exit 0 when no server holds any; 3 when one does (or a server stopped); 4 when none answered.

import { defineCommand } from 'citty';
import { toHex } from '../bytes.ts';
import { encodeEvidence, offenderOf } from '../consensus/evidence.ts';
import { askEvidence, explainEvidence, explainSummary, groupProofs, type HeldProof, proofJson, type ServerEvidence, signedMessagesOf } from '../client/evidence.ts';
import { formatAddress } from '../ip.ts';
import type { Network } from '../network.ts';
import { askingServers } from './servers.ts';
import { addressArg, exit_code, logArgs, networkAction, networkArg, print, UsageError } from './common.ts';

export const evidenceCommand = defineCommand({
  meta: {
    name: 'evidence',
    description:
      'Ask the servers for the proofs they hold that a server signed two conflicting messages (or that the ledger forked); check each with the network\'s keys and print it so anyone can check it. Exit 0: none; 3: some held; 4: no answer',
  },
  args: {
    server: { type: 'string', description: 'ask only this server of the network (default: every server)', valueHint: 'HOST:PORT' },
    ...networkArg,
    ...logArgs,
  },
  run: ({ args }) =>
    networkAction(args, async (fileNetwork) => {
      // Where servers that moved are now (PROTOCOL §3.10), and which a change put in charge (§6.11).
      return askingServers(fileNetwork, async (client, network) => {
        const servers = args.server === undefined ? network.servers.map((server) => server.index) : [serverOf(network, args.server)];
        const answers = await askEvidence(client, network, servers);
        const proofs = groupProofs(network, answers);
        const answered = answers.filter((answer) => answer.answered);
        const stopped = answered.filter((answer) => answer.stoppedBy > 0);
        if (args.json) {
          print(
            JSON.stringify({
              network: network.name,
              networkId: toHex(network.id),
              quorum: network.quorumMode,
              servers: answers.map((answer) => ({ server: answer.server, answered: answer.answered, ...(answer.error === undefined ? {} : { error: answer.error }), count: answer.count, stopped: answer.stoppedBy > 0 })),
              proofs: proofs.map((proof) => proofJson(network, proof)),
            }),
          );
        } else if (answered.length > 0) {
          printText(network, answers, proofs);
        }
        for (const answer of answers) if (!answer.answered) process.stderr.write(`scryp: server ${answer.server} (${formatAddress(network.servers[answer.server]!.address)}): ${answer.error}\n`);
        if (answered.length === 0) {
          process.stderr.write(`scryp: no server of network ${network.name} answered: nothing is known about evidence\n`);
          return exit_code.timeout;
        }
        return proofs.length > 0 || stopped.length > 0 ? exit_code.refused : exit_code.ok;
      });
    }),
});

/** --server HOST:PORT: which server of the network it is. */
function serverOf(network: Network, text: string): number {
  const address = addressArg(text, '--server');
  const index = network.servers.findIndex((server) => server.address.host === address.host && server.address.port === address.port);
  if (index < 0) throw new UsageError(`--server ${text} is not a server of network ${network.name} (its servers: ${network.servers.map((server) => formatAddress(server.address)).join(', ')})`);
  return index;
}

function printText(network: Network, answers: readonly ServerEvidence[], proofs: readonly HeldProof[]): void {
  const answered = answers.filter((answer) => answer.answered);
  print(`network ${network.name} (${network.quorumMode}: a certificate needs ${network.quorum} of ${network.servers.length} servers); ${answered.length} of ${answers.length} asked answered`);
  for (const answer of answered) {
    const held = answer.count === 0 ? 'holds no proof' : `holds ${answer.count} proof${answer.count === 1 ? '' : 's'}`;
    print(`server ${answer.server}: ${held}; ${answer.stoppedBy > 0 ? `STOPPED (it takes no payments) because of its proof ${answer.stoppedBy}, a fork` : 'taking part'}`);
  }
  if (proofs.length === 0) {
    if (answered.length > 0) print('no proof of equivocation: every server that answered holds none');
    return;
  }
  proofs.forEach((proof, i) => {
    print('');
    const held = `held by server${proof.heldBy.length === 1 ? '' : 's'} ${proof.heldBy.join(', ')}${proof.stopped.length === 0 ? '' : `; it stopped server${proof.stopped.length === 1 ? '' : 's'} ${proof.stopped.join(', ')}`}`;
    if (proof.evidence === null) {
      const summary = proof.summary!;
      print(`proof ${i + 1} of ${proofs.length} (${held}): a fork, too large for one datagram: NOT CHECKED here`);
      print(`  ${explainSummary(network, summary)}`);
      return;
    }
    const evidence = proof.evidence;
    const offender = offenderOf(evidence);
    print(`proof ${i + 1} of ${proofs.length} (${held}): ${evidence.kind === 'fork' ? 'the ledger forked' : `against server ${offender}`}`);
    print(`  ${explainEvidence(network, evidence)}`);
    print(
      `  checked here with the network's keys: ${
        proof.valid ? 'it PROVES this' : 'it does NOT prove this (the messages do not conflict or do not verify): the server that sent it vouches for a false proof'
      }`,
    );
    const bytes = encodeEvidence(evidence);
    print(`  proof (${bytes.length} bytes, PROTOCOL §8.12): ${toHex(bytes)}`);
    let lastBytes = '';
    for (const message of signedMessagesOf(network, evidence)) {
      const hex = toHex(message.bytes);
      // A certificate's bytes once, then each vote in it.
      if (hex !== lastBytes) print(`  message ${message.what.split(':')[0]} (${message.bytes.length} bytes): ${hex}`);
      lastBytes = hex;
      const signer = network.servers[message.signer];
      print(`    ${message.what.includes(':') ? `${message.what.split(': ')[1]}: ` : ''}signed bytes (${message.signingMessage.length}): ${toHex(message.signingMessage)}`);
      print(
        `    signature ${toHex(message.signature)}: ${
          signer === undefined ? `server ${message.signer} is not in the network file` : message.verifies ? `verifies with server ${message.signer}'s key ${signer.keyHex}` : `does NOT verify with server ${message.signer}'s key ${signer.keyHex}`
        }`,
      );
    }
  });
}
