import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import * as oidc from 'openid-client';
import { ClientInfo } from '../../common/auth/client-info';
import { DomainError } from '../../common/errors/domain-error';
import {
  AuthErrorCode,
  CommonErrorCode,
  FederationErrorCode,
} from '../../common/errors/error-code';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { AccessService } from '../access/access.service';
import { AccessTokenService } from '../auth/access-token.service';
import { LoginResult } from '../auth/auth.service';
import { SessionService } from '../auth/session.service';
import { issueTokenPair } from '../auth/token-pair';
import { DomainEvents } from '../events/domain-events.service';
import { MfaChallengePurpose } from '../mfa/mfa-challenge-purpose';
import { MfaService } from '../mfa/mfa.service';
import { UsersService } from '../users/users.service';
import { FederationLoginsRepository } from './federation-logins.repository';
import { IdentityProvider } from './identity-provider.entity';
import { IdentityProvidersRepository, ProviderWithSecrets } from './identity-providers.repository';
import { LinkedIdentitiesRepository } from './linked-identities.repository';
import { OidcConfigurations } from './oidc-configurations';
import { profileOf, ProviderProfile } from './provider-profile';
import { ProviderUnreachable } from './provider-http';
import { ProviderSecrets } from './provider-secrets';

/** How long a started sign-in may take to come back (state, nonce and PKCE verifier). */
export const FEDERATION_LOGIN_TTL_SECONDS = 10 * 60;

/** `amr` values (RFC 8176) a provider may assert that mean more than one factor was used. */
const MULTI_FACTOR_AMR = new Set(['mfa', 'otp', 'hwk', 'swk', 'sms', 'fpt', 'face', 'iris', 'sc']);

interface PendingSecrets {
  nonce: string;
  verifier: string;
}

const STATUS_PROBLEMS = {
  pending_verification: {
    code: AuthErrorCode.EmailNotVerified,
    detail: 'The email address of this account has not been verified yet.',
  },
  invited: {
    code: FederationErrorCode.AccountNotLinked,
    detail: 'This account has not accepted its invitation yet.',
  },
  suspended: { code: AuthErrorCode.AccountSuspended, detail: 'This account is suspended.' },
  deactivated: { code: AuthErrorCode.AccountDeactivated, detail: 'This account is deactivated.' },
} as const;

function stateHash(state: string): Buffer {
  return createHash('sha256').update(state, 'utf8').digest();
}

/**
 * Sign-in through an external OpenID provider (authorization code flow with PKCE S256, state and
 * nonce kept server-side): `start` gives the provider's authorization URL, `complete` exchanges
 * the code with openid-client, which checks the ID token (signature from the provider's JWKS,
 * `iss`, `aud`, `azp`, `exp`, `nonce`, and the response's `iss` against mix-up), then finds the
 * user by (issuer, sub), or links or provisions one by the provider's rules, and answers as a
 * login does: a token pair with `amr` ["fed"], or an `mfa_token` when a second factor is owed.
 */
@Injectable()
export class FederatedSignInService {
  private readonly logger = new Logger(FederatedSignInService.name);

  constructor(
    private readonly providers: IdentityProvidersRepository,
    private readonly identities: LinkedIdentitiesRepository,
    private readonly logins: FederationLoginsRepository,
    private readonly configurations: OidcConfigurations,
    private readonly secrets: ProviderSecrets,
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly accessTokens: AccessTokenService,
    private readonly mfa: MfaService,
    private readonly access: AccessService,
    private readonly events: DomainEvents,
    private readonly transactions: Transactions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async start(slug: string, redirectUri: string, now = new Date()): Promise<string> {
    const provider = await this.enabledProvider(slug);
    if (!provider.redirectUris.includes(redirectUri)) {
      throw new DomainError(
        FederationErrorCode.RedirectUriNotAllowed,
        'This redirect_uri is not registered for the provider.',
        { errors: [{ field: 'redirect_uri', message: 'is not registered for the provider' }] },
      );
    }
    const configuration = await this.configuration(provider);
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const verifier = oidc.randomPKCECodeVerifier();
    const hash = stateHash(state);
    await this.logins.insert({
      stateHash: hash,
      providerId: provider.id,
      secretsSealed: this.secrets.sealFor(pendingContext(hash), {
        nonce,
        verifier,
      } satisfies PendingSecrets),
      redirectUri,
      expiresAt: new Date(now.getTime() + FEDERATION_LOGIN_TTL_SECONDS * 1000),
    });
    return oidc
      .buildAuthorizationUrl(configuration, {
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: provider.scopes.join(' '),
        state,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      })
      .toString();
  }

  async complete(
    slug: string,
    response: { code: string; state: string; iss?: string },
    client: ClientInfo,
  ): Promise<LoginResult> {
    const provider = await this.enabledProvider(slug);
    const hash = stateHash(response.state);
    const pending = await this.logins.consume(hash, new Date());
    if (!pending || pending.providerId !== provider.id) {
      await this.refused('invalid_state', client);
      throw new DomainError(
        FederationErrorCode.InvalidFederationState,
        'This sign-in is unknown, has expired or was already completed: start it again.',
      );
    }
    const { nonce, verifier } = this.secrets.openFor<PendingSecrets>(
      pendingContext(hash),
      pending.secretsSealed,
    );
    const configuration = await this.configuration(provider);
    const callback = new URL(pending.redirectUri);
    callback.searchParams.set('code', response.code);
    callback.searchParams.set('state', response.state);
    if (response.iss !== undefined) callback.searchParams.set('iss', response.iss);
    let claims: oidc.IDToken;
    try {
      const tokens = await oidc.authorizationCodeGrant(
        configuration,
        callback,
        {
          pkceCodeVerifier: verifier,
          expectedState: response.state,
          expectedNonce: nonce,
          idTokenExpected: true,
        },
        { redirect_uri: pending.redirectUri },
      );
      claims = tokens.claims()!;
    } catch (error) {
      throw await this.exchangeFailed(error, client);
    }
    const profile = profileOf(claims, provider.claimMapping);
    const userId = await this.resolveUser(provider, claims, profile, client);
    return this.signIn(provider, userId, claims, client);
  }

  /** The user of (issuer, sub): linked before, linked now by email, or provisioned now. */
  private async resolveUser(
    provider: IdentityProvider,
    claims: oidc.IDToken,
    profile: ProviderProfile,
    client: ClientInfo,
  ): Promise<string> {
    const now = new Date();
    const origin = { client };
    const outcome = await this.transactions.run(
      async (): Promise<{ userId?: string; refused?: string }> => {
        // Two first sign-ins of one person at once provision one account: the second waits here.
        await this.transactions
          .manager()
          .query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
            `federation:${claims.iss}:${claims.sub}`,
          ]);
        const linked = await this.identities.findBySubjectForUpdate(claims.iss, claims.sub);
        if (linked) {
          const user = await this.users.findById(linked.userId);
          if (!user) return { refused: 'account_deleted' };
          if (user.status !== 'active') return { refused: user.status };
          await this.identities.recordSignIn(linked.id, now, profile.email);
          await this.users.updateProfile(user.id, profile.changes, origin);
          return { userId: user.id };
        }
        const email = profile.email;
        if (!email || !profile.emailVerified) return { refused: 'email_unverified' };
        const domain = email.slice(email.lastIndexOf('@') + 1);
        if (
          provider.allowedEmailDomains.length > 0 &&
          !provider.allowedEmailDomains.includes(domain)
        ) {
          return { refused: 'email_domain' };
        }
        const existing = await this.users.findByEmail(email);
        let userId: string;
        let how: 'provisioned' | 'email_match';
        if (existing) {
          if (!provider.linkByEmail || existing.status !== 'active' || !existing.emailVerifiedAt) {
            return { refused: 'not_linked' };
          }
          userId = existing.id;
          how = 'email_match';
        } else {
          if (!provider.jitProvisioning) return { refused: 'not_linked' };
          const created = await this.users.createFederated(
            { email, name: profile.name ?? email.slice(0, email.indexOf('@')) },
            origin,
          );
          if (!created) return { refused: 'not_linked' };
          userId = created;
          how = 'provisioned';
        }
        await this.users.updateProfile(userId, profile.changes, origin);
        const identity = await this.identities.insert({
          userId,
          providerId: provider.id,
          issuer: claims.iss,
          subject: claims.sub,
          email,
          lastLoginAt: now,
        });
        if (!identity) return { refused: 'not_linked' };
        await this.events.emit(
          'identity.linked',
          { user_id: userId, identity_id: identity.id, provider_id: provider.id, how },
          origin,
        );
        return { userId };
      },
    );
    if (outcome.userId !== undefined) return outcome.userId;
    const reason = outcome.refused ?? 'not_linked';
    await this.refused(reason, client);
    throw refusal(reason);
  }

  private async signIn(
    provider: IdentityProvider,
    userId: string,
    claims: oidc.IDToken,
    client: ClientInfo,
  ): Promise<LoginResult> {
    const amr = Array.isArray(claims.amr) ? claims.amr : [];
    const multiFactor =
      amr.some((method) => typeof method === 'string' && MULTI_FACTOR_AMR.has(method)) ||
      (typeof claims.acr === 'string' && provider.mfaAcrValues.includes(claims.acr));
    if (!multiFactor) {
      const due = await this.secondFactorDue(userId);
      if (due) {
        const found = await this.users.findWithPasswordHash(userId);
        const challenge = await this.mfa.issueChallenge(
          userId,
          due,
          found?.passwordHash ?? null,
          client,
          new Date(),
          'fed',
        );
        if (!challenge) {
          throw new DomainError(
            FederationErrorCode.AccountNotLinked,
            'The account was erased while signing in.',
          );
        }
        return {
          kind: 'second_factor',
          purpose: due,
          mfaToken: challenge.token,
          expiresIn: challenge.expiresIn,
        };
      }
    }
    const now = new Date();
    const started = await this.sessions.start(
      userId,
      { amr: multiFactor ? ['fed', 'mfa'] : ['fed'], authTime: now },
      client,
      now,
    );
    return { kind: 'tokens', ...(await issueTokenPair(this.accessTokens, started)) };
  }

  /** As at a password login: a code when the user has a factor, enrollment when a role needs one. */
  private async secondFactorDue(userId: string): Promise<MfaChallengePurpose | null> {
    const status = await this.mfa.status(userId);
    if (status.totp === 'active') return 'login';
    const required = this.config.mfa.requiredRoles;
    if (required.length === 0) return null;
    const roles = await this.access.rolesOfActiveUser(userId);
    return roles.some((role) => required.includes(role)) ? 'enroll' : null;
  }

  private async enabledProvider(slug: string): Promise<ProviderWithSecrets> {
    const provider = await this.providers.findWithSecrets({ slug });
    if (!provider || !provider.enabled) {
      throw new DomainError(CommonErrorCode.NotFound, 'No such identity provider.');
    }
    return provider;
  }

  private async configuration(provider: ProviderWithSecrets): Promise<oidc.Configuration> {
    try {
      return await this.configurations.of(provider);
    } catch (error) {
      this.logger.warn(
        { provider: provider.slug, reason: describe(error) },
        'Identity provider discovery failed',
      );
      throw unavailable();
    }
  }

  /** A network failure or a provider's 5xx is a 502; any refusal or failed check a 401. */
  private async exchangeFailed(error: unknown, client: ClientInfo): Promise<DomainError> {
    const status = (error as { status?: number }).status;
    const down =
      error instanceof ProviderUnreachable ||
      (error instanceof oidc.ResponseBodyError && error.status >= 500) ||
      (typeof status === 'number' && status >= 500) ||
      (error instanceof Error && error.cause instanceof ProviderUnreachable);
    this.logger.warn({ reason: describe(error) }, 'Federated sign-in refused');
    await this.refused(down ? 'provider_unavailable' : 'provider_response_invalid', client);
    if (down) return unavailable();
    return new DomainError(
      FederationErrorCode.FederationRejected,
      'The identity provider did not confirm this sign-in.',
    );
  }

  private async refused(reason: string, client: ClientInfo): Promise<void> {
    await this.events.emit(
      'auth.attempt.failed',
      { attempt: 'federated_login', reason, user_id: null, session_id: null },
      { client },
    );
  }
}

export function pendingContext(hash: Buffer): string {
  return `federation-login:${hash.toString('hex')}`;
}

/** What went wrong, without the provider's URLs (whose queries may carry codes). */
function describe(error: unknown): string {
  if (error instanceof ProviderUnreachable) return error.message;
  if (error instanceof oidc.ResponseBodyError) return `${error.status} ${error.error}`;
  if (error instanceof Error)
    return `${error.name}: ${(error as { code?: string }).code ?? ''} ${error.message}`.slice(
      0,
      300,
    );
  return 'unknown';
}

function unavailable(): DomainError {
  return new DomainError(
    FederationErrorCode.ProviderUnavailable,
    'The identity provider could not be reached or failed; try again later.',
  );
}

function refusal(reason: string): DomainError {
  if (reason in STATUS_PROBLEMS) {
    const problem = STATUS_PROBLEMS[reason as keyof typeof STATUS_PROBLEMS];
    return new DomainError(problem.code, problem.detail);
  }
  if (reason === 'email_unverified' || reason === 'email_domain') {
    return new DomainError(
      FederationErrorCode.EmailNotAcceptable,
      reason === 'email_unverified'
        ? 'The identity provider did not verify the email address of this person.'
        : "This person's email domain may not sign in through this provider.",
    );
  }
  return new DomainError(
    FederationErrorCode.AccountNotLinked,
    'No account is linked to this identity, and this provider may not link or create one.',
  );
}
