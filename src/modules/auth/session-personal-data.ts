import { Injectable } from '@nestjs/common';
import { PersonalData } from '../privacy/personal-data.decorator';
import { describeDevice } from './device';
import { SessionRepository } from './session.repository';

/** The auth module's part of a person's data export: their sessions, never their tokens. */
@Injectable()
export class SessionPersonalData {
  constructor(private readonly sessions: SessionRepository) {}

  @PersonalData({
    file: 'sessions.json',
    describes:
      'Your sign-in sessions still kept, live or ended: when they started and were last used, from which network address and browser, how you signed in (`amr`) and why each ended.',
  })
  async sessionsOf(userId: string): Promise<unknown> {
    return (await this.sessions.findAllOf(userId)).map((session) => ({
      id: session.id,
      created_at: session.createdAt,
      last_seen_at: session.lastSeenAt,
      authenticated_at: session.authTime,
      amr: session.amr,
      ip: session.ip,
      user_agent: session.userAgent,
      device: describeDevice(session.userAgent),
      idle_expires_at: session.idleExpiresAt,
      absolute_expires_at: session.absoluteExpiresAt,
      ended_at: session.revokedAt,
      end_reason: session.revokeReason,
    }));
  }
}
