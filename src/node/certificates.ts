// Whether a certificate holds: checked against the keys and quorum of the configuration
// that decides on its parent (PROTOCOL §8.13), the ones already checked remembered. Every
// concern that takes a certificate from a peer (a PROPOSAL's parent, STATUS, a replayed
// record, a snapshot header) asks here.

import { verified_certificates_cached_max } from '../constants.ts';
import { type Certificate, decisionKey, verifyCertificate } from '../consensus/vote.ts';
import type { NodeContext } from './context.ts';

export class Certificates {
  private readonly verified = new Set<string>();

  constructor(private readonly context: NodeContext) {}

  /** Checks a certificate against the configuration we know for its parent (the ones already checked are remembered). */
  check(certificate: Certificate): boolean {
    const key = `${decisionKey(certificate)}:${certificate.votes.map((vote) => vote.voter).join(',')}`;
    if (this.verified.has(key)) return true;
    if (!verifyCertificate(this.context.configurations.at(certificate.parent).checker, certificate)) return false;
    if (this.verified.size > verified_certificates_cached_max) this.verified.clear();
    this.verified.add(key);
    return true;
  }

  /**
   * Whether a certificate built on a committed period we know holds under the configuration
   * that decides on it. Certificates are checked when they arrive with the configurations
   * known then; one built on a later period is only a hint until we get there. Without any
   * change committed the check then was exact, and this costs nothing.
   */
  holdsInItsConfiguration(certificate: Certificate): boolean {
    const context = this.context;
    if (context.chain.length === 0 || certificate.parent > context.committed.period || certificate.period === 0) return true;
    return verifyCertificate(context.configurations.at(certificate.parent).checker, certificate);
  }
}
