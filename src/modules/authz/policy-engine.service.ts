import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AccessService } from '../access/access.service';
import { EventOf, OnBroadcast } from '../events/on-event.decorator';
import { CompiledPolicySet } from './engine/compiled-policy-set';

/**
 * The change's event is the fast path; this look at the stored version is the safety net for
 * one that was lost.
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
 * when the stored one changes anywhere: at once on this instance's own writes (before the
 * change is answered: read-your-writes here), within milliseconds on the others (as the
 * change's event is published), and within VERSION_POLL_MS if that was lost.
 */
@Injectable()
export class PolicyEngine implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PolicyEngine.name);
  private current: CompiledPolicySet | null = null;
  private inFlight: Promise<CompiledPolicySet> | null = null;
  /** A change arrived while a reload was reading: read again once it finishes. */
  private stale = false;
  private poll: NodeJS.Timeout | null = null;

  constructor(private readonly access: AccessService) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.reload();
    this.poll = setInterval(() => void this.checkStoredVersion(), VERSION_POLL_MS).unref();
  }

  onApplicationShutdown(): void {
    if (this.poll) clearInterval(this.poll);
  }

  /** A change of roles, grants or policies: decide with its version from now on. */
  @OnBroadcast('role.*', 'policy.*', 'user.role.*')
  async changed(event: EventOf<'role.*' | 'policy.*' | 'user.role.*'>): Promise<void> {
    await this.seen(event.data.policy_set_version);
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
}
