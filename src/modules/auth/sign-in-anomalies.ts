import { Injectable } from '@nestjs/common';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';
import { networkPrefix } from '../../common/throttle/client-network-key';
import { DomainEvents } from '../events/domain-events.service';
import { OnPublished, PublishedEventOf } from '../events/on-event.decorator';
import { describeDevice } from './device';
import { KnownSignInRepository } from './known-sign-in.repository';

/** A sign-in's network: the /24 of an IPv4 address, the /48 of an IPv6 one (a site). */
const SIGN_IN_NETWORK = { ipv4Bits: 24, ipv6Bits: 48 };
const KEYED_HASH_PURPOSE = 'known sign-ins';

/**
 * Tells sign-ins from a device and a network both new for the user (ASVS V6.3.7): each
 * published sign-in is compared with the user's earlier ones and recorded; when neither its
 * device (browser and system, as the session list names them) nor its network was seen, and
 * the user had signed in before, it emits `user.session.anomaly` (the mail follows from that).
 * A consumer after commit, so a login costs no extra round trip; run again on an event (a
 * retry), it finds the context known and emits nothing more.
 */
@Injectable()
export class SignInAnomalies {
  constructor(
    private readonly known: KnownSignInRepository,
    private readonly cipher: EnvelopeCipher,
    private readonly events: DomainEvents,
  ) {}

  @OnPublished('user.session.created')
  async check(events: PublishedEventOf<'user.session.created'>[]): Promise<void> {
    // In order: of two first sign-ins in one batch, the second is compared with the first.
    for (const event of events) await this.checkOne(event);
  }

  private async checkOne(event: PublishedEventOf<'user.session.created'>): Promise<void> {
    const { user_id: userId, session_id: sessionId, auth_time: authTime } = event.data;
    const { ip, userAgent, requestId } = event.context;
    const device = describeDevice(userAgent);
    const network = ip === null ? 'unknown' : networkPrefix(ip, SIGN_IN_NETWORK);
    const before = await this.known.record({
      userId,
      keyId: this.cipher.keyId,
      deviceHash: this.hash(userId, 'device', device),
      networkHash: this.hash(userId, 'network', network),
      at: new Date(authTime),
    });
    if (!before.signedInBefore || before.knownDevice || before.knownNetwork) return;
    await this.events.emit(
      'user.session.anomaly',
      { user_id: userId, session_id: sessionId, auth_time: authTime, device },
      { client: ip === null ? null : { ip, userAgent }, requestId },
    );
  }

  /** Bound to the user: the same network hashes differently for two users. */
  private hash(userId: string, kind: 'device' | 'network', value: string): Buffer {
    return this.cipher.keyedHash(KEYED_HASH_PURPOSE, `${userId}\n${kind}\n${value}`);
  }
}
