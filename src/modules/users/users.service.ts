import { Inject, Injectable } from '@nestjs/common';
import { ClientInfo } from '../../common/auth/client-info';
import { issueOpaqueToken, presentedTokenHash, TokenKind } from '../../common/crypto/opaque-token';
import { PasswordHasher } from '../../common/crypto/password-hasher';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode, UsersErrorCode } from '../../common/errors/error-code';
import { invalidFields } from '../../common/errors/invalid-fields';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { AuthEventService } from '../audit/auth-event.service';
import { maskAddress } from '../mail/mail-address';
import { actionLink } from '../mail/mail-templates';
import * as templates from '../mail/mail-templates';
import { MailService } from '../mail/mail.service';
import { MailMessage } from '../mail/mailer';
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
    private readonly mail: MailService,
    private readonly events: AuthEventService,
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

  /** A new account awaiting verification; null when the address is taken. */
  createPending(input: {
    email: string;
    name: string;
    passwordHash: string;
  }): Promise<string | null> {
    return this.users.insert({
      email: normalizeEmail(input.email),
      name: input.name,
      passwordHash: input.passwordHash,
      status: 'pending_verification',
    });
  }

  /** An account that can sign in at once (bootstrap administrators). */
  createActive(input: {
    email: string;
    name: string;
    passwordHash: string;
  }): Promise<string | null> {
    return this.transactions.run(async () => {
      const id = await this.users.insert({
        email: normalizeEmail(input.email),
        name: input.name,
        passwordHash: input.passwordHash,
        status: 'active',
      });
      if (id) await this.users.markEmailVerified(id, new Date());
      return id;
    });
  }

  setPasswordHash(id: string, passwordHash: string): Promise<void> {
    return this.users.setPasswordHash(id, passwordHash);
  }

  markEmailVerified(id: string, at = new Date()): Promise<void> {
    return this.users.markEmailVerified(id, at);
  }

  changeEmail(id: string, email: string, at = new Date()): Promise<boolean> {
    return this.users.changeEmail(id, normalizeEmail(email), at);
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
   * Profile changes take effect at once; an email change needs the current password and only
   * takes effect when the new address confirms it (`POST /auth/verify-email`).
   */
  async updateProfile(
    userId: string,
    changes: ProfileChanges,
    emailChange: EmailChangeRequest | null,
    client: ClientInfo,
  ): Promise<void> {
    const newEmail = emailChange && (await this.checkEmailChange(userId, emailChange, client));
    const mails = await this.transactions.run(async () => {
      await this.users.updateProfile(userId, changes);
      return newEmail ? this.startEmailChange(userId, newEmail, client) : [];
    });
    for (const mail of mails) this.mail.dispatch(mail);
  }

  /** The new address, once the request is valid and the current password proven. */
  private async checkEmailChange(
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

  /** Issues the confirmation link and returns the mails to send once the change commits. */
  private async startEmailChange(
    userId: string,
    email: { from: string; to: string },
    client: ClientInfo,
  ): Promise<MailMessage[]> {
    const link = await this.issueEmailToken(userId, 'change_email', email.to);
    await this.events.record({ type: 'email_change_request', outcome: 'success', client, userId });
    const notice = templates.emailChangeNotice(email.from, maskAddress(email.to));
    // Whether the new address is taken is only revealed to whoever controls it.
    if (await this.users.findByEmail(email.to)) return [notice];
    return [templates.emailChangeVerify(email.to, link), notice];
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

  async replacePreferences(userId: string, preferences: Preferences): Promise<Preferences> {
    await this.preferences.save({ userId, ...preferences });
    return this.getPreferences(userId);
  }
}
