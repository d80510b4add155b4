import { Inject, Injectable } from '@nestjs/common';
import { ClientInfo } from '../../common/auth/client-info';
import { issueOpaqueToken, presentedTokenHash, TokenKind } from '../../common/crypto/opaque-token';
import { PasswordHasher } from '../../common/crypto/password-hasher';
import { PasswordPolicy } from '../../common/crypto/password-policy';
import { DomainError } from '../../common/errors/domain-error';
import { AuthErrorCode, CommonErrorCode, UsersErrorCode } from '../../common/errors/error-code';
import { invalidFields } from '../../common/errors/invalid-fields';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { fieldChanges } from '../../common/changes/field-changes';
import { DomainEvents, EventOrigin } from '../events/domain-events.service';
import { actionLink } from '../mail/mail-templates';
import { CredentialAttempts } from './credential-attempts.service';
import { normalizeEmail } from './email-address';
import { EmailToken, EmailTokenPurpose } from './email-token.entity';
import { EmailTokenRepository } from './email-token.repository';
import { UserPreferences } from './user-preferences.entity';
import { UserPreferencesRepository } from './user-preferences.repository';
import { User } from './user.entity';
import { UserStatus } from './user-status';
import {
  FoundUser,
  ProfileChanges,
  SortOrder,
  UserSearch,
  UserSearchPosition,
  UserSort,
  UsersRepository,
} from './users.repository';

const HOUR_MS = 60 * 60 * 1000;

const TOKEN_RULES: Record<EmailTokenPurpose, { kind: TokenKind; ttlMs: number }> = {
  verify_email: { kind: 'verifyEmail', ttlMs: 24 * HOUR_MS },
  change_email: { kind: 'changeEmail', ttlMs: 24 * HOUR_MS },
  // Short: a reset link sitting in a mailbox is a standing way into the account.
  reset_password: { kind: 'resetPassword', ttlMs: HOUR_MS },
  // Long enough for an invitee to find it; forgot-password works for an invited account too.
  invitation: { kind: 'invitation', ttlMs: 72 * HOUR_MS },
};

/** Where each kind of link lands in the web client (which posts the token back). */
const LINK_PATHS: Record<EmailTokenPurpose, string> = {
  verify_email: 'verify-email',
  change_email: 'verify-email',
  reset_password: 'reset-password',
  invitation: 'accept-invitation',
};

export type Preferences = Omit<UserPreferences, 'user' | 'userId' | 'updatedAt'>;

export const DEFAULT_PREFERENCES: Preferences = {
  theme: 'system',
  notifications: {
    security_alerts: true,
    product_updates: false,
    price_alerts: false,
    channels: ['email'],
  },
  watchlists: [],
  defaultTradingAccountId: null,
};

const PROFILE_FIELDS = ['name', 'phone', 'avatarUrl', 'timezone', 'locale'] as const;

/** Profile fields as events name them. */
function profileFields(fields: ProfileChanges) {
  const { avatarUrl, ...rest } = fields;
  return avatarUrl === undefined ? rest : { ...rest, avatar_url: avatarUrl };
}

const PREFERENCE_FIELDS = [
  'theme',
  'notifications',
  'watchlists',
  'defaultTradingAccountId',
] as const;

const PREFERENCE_NAMES: Record<
  string,
  'theme' | 'notifications' | 'watchlists' | 'default_trading_account_id'
> = {
  theme: 'theme',
  notifications: 'notifications',
  watchlists: 'watchlists',
  defaultTradingAccountId: 'default_trading_account_id',
};

/** What an administrator can do to an account's status, and the status each leads to. */
export const STATUS_CHANGES = {
  suspend: { to: 'suspended', from: ['active', 'pending_verification', 'invited'] },
  deactivate: {
    to: 'deactivated',
    from: ['active', 'pending_verification', 'invited', 'suspended'],
  },
  reactivate: { to: 'active', from: ['suspended', 'deactivated'] },
} as const satisfies Record<string, { to: UserStatus; from: readonly UserStatus[] }>;

export type StatusChange = keyof typeof STATUS_CHANGES;

export interface EmailChangeRequest {
  email: string;
  currentPassword: string;
}

/**
 * Accounts and profiles: the only way other modules read or change a user. Email tokens (proof
 * of a mailbox) live here too, since every one of them is about a user's address.
 */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly emailTokens: EmailTokenRepository,
    private readonly preferences: UserPreferencesRepository,
    private readonly transactions: Transactions,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly credentials: CredentialAttempts,
    private readonly events: DomainEvents,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  findById(id: string): Promise<User | null> {
    return this.users.findById(id);
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findByEmail(normalizeEmail(email));
  }

  /** The account's status, or null when it no longer exists. */
  statusOf(id: string): Promise<User['status'] | null> {
    return this.users.statusOf(id);
  }

  findWithPasswordHash(id: string): Promise<{ user: User; passwordHash: string | null } | null> {
    return this.users.findWithPasswordHash(id);
  }

  /**
   * A new account awaiting verification, with the id the registration chose: `created`, or
   * `exists` when that very account was created before (a registration run again), or `taken`
   * when another account holds the address.
   */
  createPending(
    input: { id: string; email: string; name: string; passwordHash: string },
    origin: EventOrigin,
  ): Promise<'created' | 'exists' | 'taken'> {
    return this.transactions.run(async () => {
      const email = normalizeEmail(input.email);
      const id = await this.users.insert({
        id: input.id,
        email,
        name: input.name,
        passwordHash: input.passwordHash,
        status: 'pending_verification',
      });
      if (!id) return (await this.users.findById(input.id)) ? 'exists' : 'taken';
      await this.events.emit(
        'user.created',
        {
          user_id: id,
          email,
          name: input.name,
          status: 'pending_verification',
          source: 'registration',
        },
        origin,
      );
      return 'created';
    });
  }

  /** An account that can sign in at once (bootstrap administrators); null when taken. */
  createActive(
    input: { email: string; name: string; passwordHash: string },
    origin: EventOrigin,
  ): Promise<string | null> {
    return this.createVerified(input, 'cli', origin);
  }

  /**
   * An account provisioned at a first sign-in through an identity provider that proved the
   * address: active and verified, without a password. Null when the address is taken.
   */
  createFederated(
    input: { email: string; name: string },
    origin: EventOrigin,
  ): Promise<string | null> {
    return this.createWithoutPassword(input, 'federation', origin);
  }

  /**
   * An account an administrator invites: no password, status `invited`, until the invitee
   * follows the link mailed to them (`acceptInvitation`). Null when the address is taken,
   * including by a concurrent invitation or registration.
   */
  createInvited(
    input: { email: string; name: string },
    origin: EventOrigin,
  ): Promise<string | null> {
    return this.createWithoutPassword(input, 'administrator', origin);
  }

  /** An account without a password: invited by an administrator, or proven by a provider. */
  private createWithoutPassword(
    input: { email: string; name: string },
    source: 'administrator' | 'federation',
    origin: EventOrigin,
  ): Promise<string | null> {
    const status = source === 'federation' ? 'active' : 'invited';
    return this.transactions.run(async () => {
      const email = normalizeEmail(input.email);
      const id = await this.users.insert({ email, name: input.name, passwordHash: null, status });
      if (!id) return null;
      if (source === 'federation') await this.users.markEmailVerified(id, new Date());
      await this.events.emit(
        'user.created',
        { user_id: id, email, name: input.name, status, source },
        origin,
      );
      return id;
    });
  }

  /**
   * An account a provisioning client (SCIM) creates for a person of its directory: active at
   * once, its address taken as proven by that directory, with the password the client set or
   * none (the person then signs in through their identity provider, or chooses one with "forgot
   * password"). Null when the address is taken, including by a concurrent creation.
   */
  createProvisioned(
    input: { email: string; name: string; passwordHash: string | null },
    origin: EventOrigin,
  ): Promise<string | null> {
    return this.createVerified(input, 'provisioning', origin);
  }

  /** An active account whose address is taken as proven; null when the address is taken. */
  private createVerified(
    input: { email: string; name: string; passwordHash: string | null },
    source: 'cli' | 'provisioning',
    origin: EventOrigin,
  ): Promise<string | null> {
    return this.transactions.run(async () => {
      const email = normalizeEmail(input.email);
      const id = await this.users.insert({
        email,
        name: input.name,
        passwordHash: input.passwordHash,
        status: 'active',
      });
      if (!id) return null;
      await this.users.markEmailVerified(id, new Date());
      await this.events.emit(
        'user.created',
        { user_id: id, email, name: input.name, status: 'active', source },
        origin,
      );
      return id;
    });
  }

  /**
   * Accepts an invitation with its mailed token: the password is set, the address proven and
   * the account active, once. False for an unknown, used or expired token, or an account that
   * is no longer invited (suspended meanwhile, say); the token is then spent all the same. A
   * password the policy refuses leaves the token usable.
   */
  async acceptInvitation(token: string, password: string, client: ClientInfo): Promise<void> {
    const accepted = await this.transactions.run(async () => {
      const used = await this.consumeEmailToken(token, ['invitation']);
      const user = used && (await this.users.findByIdForUpdate(used.userId));
      if (!user || user.status !== 'invited') return false;
      this.policy.assertAcceptable(password, { email: user.email });
      const hash = await this.hasher.hash(password);
      if (!(await this.users.activateInvited(user.id, hash, new Date()))) return false;
      const origin = { client };
      await this.events.emit('user.invitation.accepted', { user_id: user.id }, origin);
      await this.events.emit(
        'user.email_verified',
        { user_id: user.id, email: user.email },
        origin,
      );
      return true;
    });
    if (!accepted) {
      await this.events.emit(
        'auth.attempt.failed',
        { attempt: 'invitation_accept', reason: 'invalid_token', user_id: null, session_id: null },
        { client },
      );
      throw new DomainError(
        AuthErrorCode.InvalidOrExpiredToken,
        'The link is invalid or has expired.',
      );
    }
  }

  /**
   * Moves the account to the status of `change` and tells it (`user.suspended`…), in the
   * caller's transaction; the row stays locked until it ends. Returns the status before, or null
   * when the account already had the new one (nothing changes, nothing is told). 404 for an
   * unknown account, 409 `account_status_conflict` for a change that does not apply.
   */
  async changeStatus(
    id: string,
    change: StatusChange,
    reason: string | null,
    origin: EventOrigin,
  ): Promise<UserStatus | null> {
    const rule = STATUS_CHANGES[change];
    return this.transactions.run(async () => {
      const user = await this.users.findByIdForUpdate(id);
      if (!user) throw new DomainError(CommonErrorCode.NotFound, 'The user does not exist.');
      if (user.status === rule.to) return null;
      if (!(rule.from as readonly UserStatus[]).includes(user.status)) {
        throw new DomainError(
          UsersErrorCode.AccountStatusConflict,
          `A ${user.status} account cannot be ${change}d.`,
        );
      }
      await this.users.setStatus(id, rule.to);
      const previous_status = user.status;
      if (change === 'reactivate') {
        await this.events.emit('user.reactivated', { user_id: id, previous_status }, origin);
      } else {
        const type = change === 'suspend' ? 'user.suspended' : 'user.deactivated';
        await this.events.emit(type, { user_id: id, reason, previous_status }, origin);
      }
      return previous_status;
    });
  }

  /**
   * An administrator's forced reset: the password stops working at once, open reset and email
   * change links end, and the user is mailed a new reset link (AccountMails, on the event). In
   * the caller's transaction. 404 for an unknown account; only an active account can be made to
   * reset (409 otherwise: a suspended one could not use the link).
   */
  async forcePasswordReset(id: string, origin: EventOrigin): Promise<void> {
    await this.transactions.run(async () => {
      const user = await this.users.findByIdForUpdate(id);
      if (!user) throw new DomainError(CommonErrorCode.NotFound, 'The user does not exist.');
      if (user.status !== 'active') {
        throw new DomainError(
          UsersErrorCode.AccountStatusConflict,
          `A ${user.status} account cannot be made to reset its password.`,
        );
      }
      await this.users.clearPasswordHash(id);
      await this.cancelEmailTokens(id, ['reset_password', 'change_email']);
      await this.events.emit('user.password_reset_forced', { user_id: id }, origin);
    });
  }

  /**
   * The user asked to delete their account: it is erased at `dueAt` unless they sign in before
   * (LastLogin). In the caller's transaction, which ends the sessions; the row stays locked
   * until it ends. 404 for an unknown account.
   */
  async scheduleDeletion(id: string, now: Date, dueAt: Date, origin: EventOrigin): Promise<void> {
    await this.transactions.run(async () => {
      const user = await this.users.findByIdForUpdate(id);
      if (!user) throw new DomainError(CommonErrorCode.NotFound, 'The user does not exist.');
      await this.users.scheduleDeletion(id, now, dueAt);
      await this.events.emit(
        'user.deletion_scheduled',
        { user_id: id, due_at: dueAt.toISOString() },
        origin,
      );
    });
  }

  /** Accounts whose deletion grace period is over (see scheduleDeletion). */
  dueForDeletion(now: Date, limit: number): Promise<string[]> {
    return this.users.dueForDeletion(now, limit);
  }

  /**
   * Starts erasing the account, in the caller's transaction: tells `user.deleted`, whose
   * consumers forget what their modules hold of the person, then locks the account's row (see
   * UsersRepository.lockForErasure) and answers it; null when there is no such account, and the
   * caller must then roll back. The event comes first because its consumers lock the person's
   * events in the outbox, and the relay takes outbox rows before account rows (`last_login_at`):
   * taken in the same order, the two never deadlock.
   */
  async beginErasure(id: string, scheduled: boolean, origin: EventOrigin): Promise<User | null> {
    await this.events.emit('user.deleted', { user_id: id, scheduled }, origin);
    return this.users.lockForErasure(id);
  }

  /** The account's address and every address it asked to change to. */
  addressesOf(id: string): Promise<string[]> {
    return this.users.addressesOf(id);
  }

  /** Ends an erasure begun by `beginErasure`: the row goes, and every table referencing it cascades. */
  async completeErasure(id: string): Promise<void> {
    await this.users.delete(id);
  }

  /** One page of the administrators' search (see UsersRepository.search). */
  search(
    filter: UserSearch,
    sort: { by: UserSort; order: SortOrder },
    after: UserSearchPosition | null,
    limit: number,
  ): Promise<FoundUser[]> {
    return this.users.search(filter, sort, after, limit, new Date());
  }

  /** Stores a new hash of the same password (new parameters): no change anyone is told of. */
  setPasswordHash(id: string, passwordHash: string): Promise<void> {
    return this.users.setPasswordHash(id, passwordHash);
  }

  /** The user chose a new password, in a session of theirs (`change`) or through a reset link. */
  async changePassword(
    id: string,
    passwordHash: string,
    how: { method: 'change' | 'reset'; sessionId: string | null },
    origin: EventOrigin,
  ): Promise<void> {
    await this.transactions.run(async () => {
      await this.users.setPasswordHash(id, passwordHash);
      await this.events.emit(
        'user.password_changed',
        { user_id: id, method: how.method, session_id: how.sessionId },
        origin,
      );
    });
  }

  /** Marks the address proven; a pending account becomes active. */
  async markEmailVerified(user: Pick<User, 'id' | 'email'>, origin: EventOrigin): Promise<void> {
    await this.transactions.run(async () => {
      await this.users.markEmailVerified(user.id, new Date());
      await this.events.emit(
        'user.email_verified',
        { user_id: user.id, email: user.email },
        origin,
      );
    });
  }

  /** Switches the address to a proven new one; false when another account holds it. */
  changeEmail(
    user: Pick<User, 'id' | 'email'>,
    newEmail: string,
    origin: EventOrigin,
  ): Promise<boolean> {
    const to = normalizeEmail(newEmail);
    return this.transactions.run(async () => {
      if (!(await this.users.changeEmail(user.id, to, new Date()))) return false;
      await this.events.emit(
        'user.email_changed',
        { user_id: user.id, from: user.email, to },
        origin,
      );
      return true;
    });
  }

  /**
   * A new single-use token for a mailbox action, ending older open ones of the same purpose,
   * and the link that carries it (token in the fragment, so it reaches no server log).
   */
  async issueEmailToken(
    userId: string,
    purpose: EmailTokenPurpose,
    newEmail: string | null = null,
  ): Promise<string> {
    const rule = TOKEN_RULES[purpose];
    const { token, hash } = issueOpaqueToken(rule.kind);
    const now = new Date();
    await this.transactions.run(async () => {
      await this.emailTokens.consumeOpen(userId, purpose, now);
      await this.emailTokens.insert({
        userId,
        purpose,
        tokenHash: hash,
        newEmail: newEmail === null ? null : normalizeEmail(newEmail),
        expiresAt: new Date(now.getTime() + rule.ttlMs),
      });
    });
    return actionLink(this.config.mail.webAppUrl, LINK_PATHS[purpose], token);
  }

  /**
   * Uses a token once: its row stays locked until the caller's transaction ends, so two
   * concurrent uses cannot both succeed. Null for an unknown, used, expired or wrong-purpose
   * token alike. Call inside `Transactions.run` so the use commits with its effect.
   */
  async consumeEmailToken(
    presented: string,
    purposes: EmailTokenPurpose[],
  ): Promise<EmailToken | null> {
    const hash = presentedTokenHash(
      purposes.map((p) => TOKEN_RULES[p].kind),
      presented,
    );
    if (!hash) return null;
    return this.transactions.run(async () => {
      const token = await this.emailTokens.findByHashForUpdate(hash);
      const now = new Date();
      if (
        !token ||
        !purposes.includes(token.purpose) ||
        token.consumedAt !== null ||
        token.expiresAt <= now
      ) {
        return null;
      }
      await this.emailTokens.markConsumed(token.id, now);
      return token;
    });
  }

  /**
   * Ends open links of the given purposes, so that a security-relevant change (password
   * reset or change, logout everywhere, a new address) leaves none that predates it.
   */
  async cancelEmailTokens(userId: string, purposes: EmailTokenPurpose[]): Promise<void> {
    const now = new Date();
    for (const purpose of purposes) await this.emailTokens.consumeOpen(userId, purpose, now);
  }

  /** The profile and the address a pending email change would switch to. */
  profile(userId: string): Promise<(User & { pendingEmail: string | null }) | null> {
    return this.users.findProfile(userId, new Date());
  }

  /**
   * Changes profile fields (in the caller's transaction, if any); a change to no field
   * changes, and tells, nothing.
   */
  async updateProfile(userId: string, changes: ProfileChanges, origin: EventOrigin): Promise<void> {
    await this.transactions.run(async () => {
      const current = await this.users.findByIdForUpdate(userId);
      if (!current) {
        throw new DomainError(CommonErrorCode.NotFound, 'The account no longer exists.');
      }
      const changed = fieldChanges<ProfileChanges>(
        current,
        { ...current, ...changes },
        PROFILE_FIELDS,
      );
      if (!changed) return;
      await this.users.updateProfile(userId, changes);
      await this.profileUpdated(userId, changed, origin);
    });
  }

  /**
   * Accounts by id, locked against other changes until the caller's transaction ends (in id
   * order, so two batches never deadlock); unknown ids are left out.
   */
  findManyForUpdate(ids: string[]): Promise<User[]> {
    return this.users.findManyForUpdate(ids);
  }

  /**
   * Changes the profile fields of many accounts at once, in the caller's transaction: one
   * statement for every account, and a `user.updated` event for each account whose fields
   * change. Accounts that no longer exist are left out; two updates of one account apply in
   * order, as one. Answers the ids of the accounts changed.
   */
  async updateProfiles(
    updates: { userId: string; changes: ProfileChanges }[],
    origin: EventOrigin,
  ): Promise<Set<string>> {
    const requests = new Map<string, ProfileChanges>();
    for (const { userId, changes } of updates) {
      requests.set(userId, { ...requests.get(userId), ...changes });
    }
    return this.transactions.run(async () => {
      const locked = await this.users.findManyForUpdate([...requests.keys()]);
      const current = new Map(locked.map((user) => [user.id, user]));
      const changes = [...requests].flatMap(([userId, requested]) => {
        const user = current.get(userId);
        const changed =
          user && fieldChanges<ProfileChanges>(user, { ...user, ...requested }, PROFILE_FIELDS);
        return changed ? [{ userId, changed }] : [];
      });
      await this.users.updateProfiles(
        changes.map(({ userId, changed }) => ({ id: userId, changes: changed.after })),
      );
      for (const { userId, changed } of changes) {
        await this.profileUpdated(userId, changed, origin);
      }
      return new Set(changes.map((change) => change.userId));
    });
  }

  private async profileUpdated(
    userId: string,
    changed: { before: ProfileChanges; after: ProfileChanges },
    origin: EventOrigin,
  ): Promise<void> {
    await this.events.emit(
      'user.updated',
      {
        user_id: userId,
        changes: { before: profileFields(changed.before), after: profileFields(changed.after) },
      },
      origin,
    );
  }

  /**
   * Checks an email change (a new address, the current password proven) and returns the
   * addresses it goes from and to.
   */
  async checkEmailChange(
    userId: string,
    request: EmailChangeRequest,
    client: ClientInfo,
  ): Promise<{ from: string; to: string }> {
    const found = await this.users.findWithPasswordHash(userId);
    if (!found) {
      throw new DomainError(CommonErrorCode.NotFound, 'The account no longer exists.');
    }
    const { user, passwordHash } = found;
    const newEmail = normalizeEmail(request.email);
    if (newEmail === user.email) {
      throw invalidFields([{ field: 'email', message: 'is already the address of this account' }]);
    }
    await this.assertCurrentPassword(
      user,
      passwordHash,
      request.currentPassword,
      client,
      'email_change_request',
    );
    return { from: user.email, to: newEmail };
  }

  /**
   * Re-authentication for a sensitive change. Failures count against the account's login
   * throttle, so a stolen access token cannot be used to guess the password.
   */
  async assertCurrentPassword(
    user: User,
    passwordHash: string | null,
    password: string,
    client: ClientInfo,
    eventType: 'email_change_request' | 'password_change' | 'step_up' | 'mfa_disable',
  ): Promise<void> {
    await this.credentials.attempt({
      keys: { account: user.email, ip: client.ip },
      event: { type: eventType, client, userId: user.id },
      check: async () =>
        (await this.hasher.verify(passwordHash, password)).valid
          ? { ok: true, value: undefined }
          : {
              ok: false,
              reason: 'wrong_password',
              error: new DomainError(
                UsersErrorCode.InvalidCurrentPassword,
                'The current password is not correct.',
              ),
            },
    });
  }

  async getPreferences(userId: string): Promise<Preferences> {
    const stored = await this.preferences.findByUser(userId);
    if (!stored) return DEFAULT_PREFERENCES;
    return {
      theme: stored.theme,
      notifications: stored.notifications,
      watchlists: stored.watchlists,
      defaultTradingAccountId: stored.defaultTradingAccountId,
    };
  }

  async replacePreferences(
    userId: string,
    preferences: Preferences,
    client: ClientInfo,
  ): Promise<Preferences> {
    await this.transactions.run(async () => {
      const before = await this.getPreferences(userId);
      const changed = fieldChanges(before, preferences, PREFERENCE_FIELDS);
      await this.preferences.save({ userId, ...preferences });
      if (changed) {
        await this.events.emit(
          'user.preferences.updated',
          {
            user_id: userId,
            changed_fields: Object.keys(changed.after).map((field) => PREFERENCE_NAMES[field]),
          },
          { client },
        );
      }
    });
    return this.getPreferences(userId);
  }
}

/** The profile fields a change may carry, as callers of updateProfile give them. */
export type { ProfileChanges };
