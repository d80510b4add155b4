import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import Redis from 'ioredis';
import { REDIS } from '../../common/redis/redis.module';
import { DatabaseNotifications } from '../../database/database-notifications';
import { AccessChanges, AUTHZ_NOTIFY_CHANNEL } from '../access/access-changes';
import { AccessService } from '../access/access.service';
import { CompiledPolicySet } from './engine/compiled-policy-set';

/** The Redis channel used instead when REDIS_URL is set. */
export const POLICY_REDIS_CHANNEL = 'gatehouse:authz';
/**
 * Notifications are the fast path; this look at the stored version is the safety net for one
 * that was lost (a dropped connection, a Redis restart between publish and subscribe).
 */
const VERSION_POLL_MS = 5000;

/** Asked for a policy-set version this database has never reached. */
export class PolicySetVersionUnavailableError extends Error {
  constructor(
    readonly requested: number,
    readonly available: number,
  ) {
    super(`policy set version ${requested} is not available (latest is ${available})`);
  }
}

/**
 * Holds the compiled policy set every decision on this instance is made with, and replaces it
 * when the stored one changes anywhere: at once on this instance's own writes, within
 * milliseconds on the others (LISTEN/NOTIFY, or Redis pub/sub when configured), and within
 * VERSION_POLL_MS if a notification was lost.
 */
@Injectable()
export class PolicyEngine implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PolicyEngine.name);
  private current: CompiledPolicySet | null = null;
  private inFlight: Promise<CompiledPolicySet> | null = null;
  /** A change arrived while a reload was reading: read again once it finishes. */
  private stale = false;
  private poll: NodeJS.Timeout | null = null;
  private subscriber: Redis | null = null;
  private unsubscribeChanges: (() => void) | null = null;

  constructor(
    private readonly access: AccessService,
    private readonly changes: AccessChanges,
    private readonly notifications: DatabaseNotifications,
    @Inject(REDIS) private readonly redis: Redis | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.reload();
    // This instance's own writes answer once it decides with them (read-your-writes here).
    this.unsubscribeChanges = this.changes.subscribe(async ({ version }) => {
      if (this.redis) {
        this.redis
          .publish(POLICY_REDIS_CHANNEL, String(version))
          .catch((error: Error) =>
            this.logger.warn(`Could not publish policy set ${version}: ${error.message}`),
          );
      }
      await this.seen(version);
    });
    if (this.redis) await this.subscribeRedis(this.redis);
    else {
      await this.notifications.listen(
        AUTHZ_NOTIFY_CHANNEL,
        (payload) => void this.seen(versionIn(payload)),
        () => void this.refresh(),
      );
    }
    this.poll = setInterval(() => void this.checkStoredVersion(), VERSION_POLL_MS).unref();
  }

  onApplicationShutdown(): void {
    if (this.poll) clearInterval(this.poll);
    this.unsubscribeChanges?.();
    this.subscriber?.disconnect();
  }

  /** The policy set decisions are made with now. */
  get policySet(): CompiledPolicySet {
    if (!this.current) throw new Error('policy engine used before it loaded');
    return this.current;
  }

  /** A policy set at least as new as `version` (read-your-writes across instances). */
  async atLeast(version: number): Promise<CompiledPolicySet> {
    if (this.policySet.version >= version) return this.policySet;
    // A failed read propagates: the caller asked for freshness this instance cannot prove. A
    // version the database has not reached is refused on one cheap read, without a reload.
    const stored = await this.access.currentVersion();
    if (stored < version) throw new PolicySetVersionUnavailableError(version, stored);
    const loaded = await this.reload();
    if (loaded.version < version)
      throw new PolicySetVersionUnavailableError(version, loaded.version);
    return loaded;
  }

  private async seen(version: number | null): Promise<void> {
    if (version === null || (this.current && this.current.version >= version)) return;
    await this.refresh();
  }

  private async checkStoredVersion(): Promise<void> {
    try {
      await this.seen(await this.access.currentVersion());
    } catch (error) {
      this.logger.warn(`Could not read the policy set version: ${(error as Error).message}`);
    }
  }

  /** Reloads, logging rather than throwing: the instance keeps deciding with what it has. */
  private refresh(): Promise<CompiledPolicySet> {
    return this.reload().catch((error: Error) => {
      this.logger.error(`Could not reload the policy set: ${error.message}`);
      return this.policySet;
    });
  }

  /** One read at a time; a change seen during a read causes exactly one more read after it. */
  private reload(): Promise<CompiledPolicySet> {
    if (this.inFlight) {
      this.stale = true;
      return this.inFlight;
    }
    this.inFlight = (async () => {
      try {
        let loaded: CompiledPolicySet;
        do {
          this.stale = false;
          const snapshot = await this.access.snapshot();
          loaded = CompiledPolicySet.compile(
            snapshot.version,
            snapshot.policies,
            snapshot.roles,
            this.current ?? undefined,
          );
          if (!this.current || loaded.version >= this.current.version) this.current = loaded;
        } while (this.stale);
        return this.current;
      } finally {
        this.inFlight = null;
      }
    })();
    return this.inFlight;
  }

  private async subscribeRedis(redis: Redis): Promise<void> {
    // A subscribed connection can do nothing else, so it is a connection of its own. Messages
    // published while it was away are lost: after every reconnect it catches up by reading.
    const subscriber = redis.duplicate({
      enableOfflineQueue: true,
      connectionName: 'gatehouse-sub',
    });
    this.subscriber = subscriber;
    let connectedOnce = false;
    subscriber.on('error', () => undefined); // the main connection already reports outages
    subscriber.on('ready', () => {
      if (connectedOnce) void this.refresh();
      connectedOnce = true;
    });
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === POLICY_REDIS_CHANNEL) void this.seen(versionIn(message));
    });
    await subscriber.subscribe(POLICY_REDIS_CHANNEL).catch((error: Error) => {
      this.logger.warn(`Redis subscription failed, relying on polling: ${error.message}`);
    });
  }
}

/** The version in a notification: a bare number, or `{"version": n, ...}`. */
function versionIn(payload: string): number | null {
  let value: unknown;
  try {
    const parsed: unknown = JSON.parse(payload);
    value =
      typeof parsed === 'object' && parsed !== null
        ? (parsed as { version?: unknown }).version
        : parsed;
  } catch {
    return null;
  }
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
}
