import { Inject, Injectable } from '@nestjs/common';
import { ClientInfo } from '../../common/auth/client-info';
import { issueOpaqueToken, presentedTokenHash, TokenKind } from '../../common/crypto/opaque-token';
import { PasswordHasher } from '../../common/crypto/password-hasher';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode, UsersErrorCode } from '../../common/errors/error-code';
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
import { ProfileChanges, UsersRepository } from './users.repository';

const HOUR_MS = 60 * 60 * 1000;

const TOKEN_RULES: Record<EmailTokenPurpose, { kind: TokenKind; ttlMs: number }> = {
  verify_email: { kind: 'verifyEmail', ttlMs: 24 * HOUR_MS },
  change_email: { kind: 'changeEmail', ttlMs: 24 * HOUR_MS },
  // Short: a reset link sitting in a mailbox is a standing way into the account.
  reset_password: { kind: 'resetPassword', ttlMs: HOUR_MS },
};

/** Where each kind of link lands in the web client (which posts the token back). */
const LINK_PATHS: Record<EmailTokenPurpose, string> = {
  verify_email: 'verify-email',
  change_email: 'verify-email',
  reset_password: 'reset-password',
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
        { user_id: id, email, name: input.name, status: 'active', source: 'cli' },
        origin,
      );
      return id;
    });
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
  async updateProfile(userId: string, changes: ProfileChanges, client: ClientInfo): Promise<void> {
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
      await this.events.emit(
        'user.updated',
        {
          user_id: userId,
          changes: { before: profileFields(changed.before), after: profileFields(changed.after) },
        },
        { client },
      );
    });
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
