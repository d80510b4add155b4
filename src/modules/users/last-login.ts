import { Injectable } from '@nestjs/common';
import { OnPublished, PublishedEventOf } from '../events/on-event.decorator';
import { UsersRepository } from './users.repository';

/**
 * Keeps `users.last_login_at`: each published sign-in moves it to the time the session
 * started, never back (events of one batch, or a late retry, may arrive out of order).
 */
@Injectable()
export class LastLogin {
  constructor(private readonly users: UsersRepository) {}

  @OnPublished('user.session.created')
  async record(events: PublishedEventOf<'user.session.created'>[]): Promise<void> {
    await this.users.recordLogins(
      events.map((event) => ({ userId: event.data.user_id, at: new Date(event.data.auth_time) })),
    );
  }
}
