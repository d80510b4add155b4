import { Injectable } from '@nestjs/common';
import { DomainEvents } from '../events/domain-events.service';
import { OnPublished, PublishedEventOf } from '../events/on-event.decorator';
import { UsersRepository } from './users.repository';

/**
 * Keeps `users.last_login_at`: each published sign-in moves it to the time the session
 * started, never back (events of one batch, or a late retry, may arrive out of order). A sign-in
 * after the user asked to delete their account cancels the deletion (`user.deletion_cancelled`).
 */
@Injectable()
export class LastLogin {
  constructor(
    private readonly users: UsersRepository,
    private readonly events: DomainEvents,
  ) {}

  @OnPublished('user.session.created')
  async record(events: PublishedEventOf<'user.session.created'>[]): Promise<void> {
    const cancelled = await this.users.recordLogins(
      events.map((event) => ({ userId: event.data.user_id, at: new Date(event.data.auth_time) })),
    );
    for (const userId of cancelled) {
      const signIn = events.find((event) => event.data.user_id === userId)!;
      await this.events.emit(
        'user.deletion_cancelled',
        { user_id: userId },
        {
          actor: { type: 'user', id: userId, requestId: signIn.context.requestId, ip: null },
          requestId: signIn.context.requestId,
        },
      );
    }
  }
}
