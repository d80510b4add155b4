import { Injectable, Logger } from '@nestjs/common';

/**
 * The PostgreSQL channel on which every committed change of the policy set is announced,
 * payload `{"version": <n>}` or `{"version": <n>, "user_id": "<id>"}` as in AccessChange.
 */
export const AUTHZ_NOTIFY_CHANNEL = 'gatehouse_authz';

/**
 * A committed change of the policy set. `userIds` present: only the role grants of these
 * users changed. Absent: roles or policies changed, and any user's roles may be stale (a role
 * renamed or deleted changes what its holders hold).
 */
export interface AccessChange {
  version: number;
  userIds?: string[];
}

export type AccessChangeListener = (change: AccessChange) => void | Promise<void>;

/**
 * In-process announcements of committed changes, so the decision engine of this instance
 * reloads at once (other instances hear of them through PostgreSQL NOTIFY on
 * `AUTHZ_NOTIFY_CHANNEL`, payload `{version, user_id?}`). A listener's failure is logged and
 * never reaches the writer, whose change is already committed.
 */
@Injectable()
export class AccessChanges {
  private readonly logger = new Logger(AccessChanges.name);
  private readonly listeners = new Set<AccessChangeListener>();

  /** Returns the function that unsubscribes. */
  subscribe(listener: AccessChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once every listener has (this instance's engine has reloaded); never rejects. */
  async emit(change: AccessChange): Promise<void> {
    await Promise.all(
      [...this.listeners].map(async (listener) => {
        try {
          await listener(change);
        } catch (error) {
          this.failed(error);
        }
      }),
    );
  }

  private failed(error: unknown): void {
    this.logger.error({ err: error }, 'An access change listener failed');
  }
}
