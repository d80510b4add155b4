import { Injectable } from '@nestjs/common';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';
import { networkPrefix } from '../../common/throttle/client-network-key';
import { DomainEvents } from '../events/domain-events.service';
import { OnPublished, PublishedEventOf } from '../events/on-event.decorator';
import { describeDevice } from './device';
import { KnownSignInRepository, SignInContext } from './known-sign-in.repository';

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
    // One statement per round; a user's second sign-in of a batch is compared with the first.
    for (const round of roundsByUser(events)) {
      const familiarity = await this.known.record(round.map((event) => this.contextOf(event)));
      for (const [i, before] of familiarity.entries()) {
        if (!before.signedInBefore || before.knownDevice || before.knownNetwork) continue;
        await this.reportAnomaly(round[i]);
      }
    }
  }

  private contextOf(event: PublishedEventOf<'user.session.created'>): SignInContext {
    const { user_id: userId, auth_time: authTime } = event.data;
    const { ip, userAgent } = event.context;
    const network = ip === null ? 'unknown' : networkPrefix(ip, SIGN_IN_NETWORK);
    return {
      userId,
      keyId: this.cipher.keyId,
      deviceHash: this.hash(userId, 'device', describeDevice(userAgent)),
      networkHash: this.hash(userId, 'network', network),
      at: new Date(authTime),
    };
  }

  private async reportAnomaly(event: PublishedEventOf<'user.session.created'>): Promise<void> {
    const { user_id: userId, session_id: sessionId, auth_time: authTime } = event.data;
    const { ip, userAgent, requestId } = event.context;
    await this.events.emit(
      'user.session.anomaly',
      {
        user_id: userId,
        session_id: sessionId,
        auth_time: authTime,
        device: describeDevice(userAgent),
      },
      { client: ip === null ? null : { ip, userAgent }, requestId },
    );
  }

  /** Bound to the user: the same network hashes differently for two users. */
  private hash(userId: string, kind: 'device' | 'network', value: string): Buffer {
    return this.cipher.keyedHash(KEYED_HASH_PURPOSE, `${userId}\n${kind}\n${value}`);
  }
}

/** The events in order, in rounds in which each user appears at most once. */
function roundsByUser<T extends { data: { user_id: string } }>(events: T[]): T[][] {
  const rounds: T[][] = [];
  const nextRound = new Map<string, number>();
  for (const event of events) {
    const index = nextRound.get(event.data.user_id) ?? 0;
    (rounds[index] ??= []).push(event);
    nextRound.set(event.data.user_id, index + 1);
  }
  return rounds;
}
