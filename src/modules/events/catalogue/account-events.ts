import { z } from 'zod';
import { changesOf, defineEvent, id, timestamp } from './event-definition';

const email = z.string().max(320);
const status = z.enum(['pending_verification', 'invited', 'active', 'suspended', 'deactivated']);
const secondFactorMethod = z.enum(['totp', 'backup_code']);

/**
 * Why sessions ended. `logout`, `logout_all` and `revoked_by_user` are the user's own doing;
 * the others follow from another change that has its own event.
 */
export const SESSION_REVOKE_REASONS = [
  'logout',
  'logout_all',
  'revoked_by_user',
  'password_reset',
  'password_change',
  'refresh_token_reuse',
  'account_inactive',
  'mfa_disabled',
  'mfa_reset',
  'revoked_by_administrator',
  'account_deletion_requested',
  'account_deleted',
] as const;

/** The kinds of authentication attempt a refusal can be of. */
export const AUTH_ATTEMPTS = [
  'register',
  'email_verify',
  'email_verify_resend',
  'login',
  'refresh',
  'password_forgot',
  'password_reset',
  'password_change',
  'email_change_request',
  'mfa_enroll',
  'mfa_activate',
  'mfa_verify',
  'mfa_disable',
  'step_up',
  'invitation_accept',
  'federated_login',
] as const;

export type AuthAttempt = (typeof AUTH_ATTEMPTS)[number];

const PROFILE_FIELDS = {
  name: z.string(),
  phone: z.string().nullable(),
  avatar_url: z.string().nullable(),
  timezone: z.string().nullable(),
  locale: z.string().nullable(),
};

/** Accounts, their sessions and their second factors. */
export const ACCOUNT_EVENTS = {
  'user.created': defineEvent({
    version: 1,
    description:
      "An account was created: by self-registration (pending until its address is verified), by the operator CLI, by an administrator (`invited` until the invitation mailed to it is accepted), at a first sign-in through an identity provider (`federation`, active), or by a provisioning client (`provisioning`, SCIM: active, its address proven by the client's directory).",
    data: z.strictObject({
      user_id: id,
      email,
      name: z.string(),
      status,
      source: z.enum(['registration', 'cli', 'administrator', 'federation', 'provisioning']),
    }),
  }),
  'user.registration.duplicate': defineEvent({
    version: 1,
    description:
      'Someone registered an address that already has an account. Nothing changed; the owner of the address is told by mail.',
    data: z.strictObject({ user_id: id, status }),
  }),
  'user.email_verification.requested': defineEvent({
    version: 1,
    description: 'A new verification link was asked for a pending account.',
    data: z.strictObject({ user_id: id, email }),
  }),
  'user.email_verified': defineEvent({
    version: 1,
    description: 'The address of an account was verified; a pending account became active.',
    data: z.strictObject({ user_id: id, email }),
  }),
  'user.updated': defineEvent({
    version: 1,
    description: 'Profile fields changed: their values before and after.',
    data: z.strictObject({ user_id: id, changes: changesOf(PROFILE_FIELDS) }),
  }),
  'user.email_change.requested': defineEvent({
    version: 1,
    description:
      'The user asked to change their address; it changes once the new address confirms.',
    data: z.strictObject({ user_id: id, from: email, to: email }),
    personal: ['from', 'to'],
  }),
  'user.email_changed': defineEvent({
    version: 1,
    description: 'The address of an account changed.',
    data: z.strictObject({ user_id: id, from: email, to: email }),
    personal: ['from', 'to'],
  }),
  'user.password_reset.requested': defineEvent({
    version: 1,
    description: 'A password reset link was asked for an account that may reset its password.',
    data: z.strictObject({ user_id: id }),
  }),
  'user.password_changed': defineEvent({
    version: 1,
    description:
      'The password changed: by the user knowing the old one (`change`) or through a mailed reset link (`reset`).',
    data: z.strictObject({
      user_id: id,
      method: z.enum(['change', 'reset']),
      /** The session the change was made in (kept while the others end); null for a reset. */
      session_id: id.nullable(),
    }),
  }),
  'user.suspended': defineEvent({
    version: 1,
    description:
      'The account was suspended: it cannot sign in and its sessions ended. `previous_status` is the status it had.',
    data: z.strictObject({
      user_id: id,
      reason: z.string().max(500).nullable(),
      previous_status: status.optional(),
    }),
  }),
  'user.reactivated': defineEvent({
    version: 1,
    description:
      'A suspended or deactivated account became active again. `previous_status` is the status it had.',
    data: z.strictObject({ user_id: id, previous_status: status.optional() }),
  }),
  'user.deactivated': defineEvent({
    version: 1,
    description:
      'The account was deactivated: it cannot sign in and its sessions ended. `previous_status` is the status it had.',
    data: z.strictObject({
      user_id: id,
      reason: z.string().max(500).nullable(),
      previous_status: status.optional(),
    }),
  }),
  'user.password_reset_forced': defineEvent({
    version: 1,
    description:
      'An administrator forced a password reset: the password no longer works, the sessions ended and the user is mailed a link to choose a new one.',
    data: z.strictObject({ user_id: id }),
  }),
  'user.invitation.accepted': defineEvent({
    version: 1,
    description:
      'An invited user followed the invitation link and chose a password; the account became active.',
    data: z.strictObject({ user_id: id }),
  }),
  'user.deleted': defineEvent({
    version: 1,
    description:
      "The account was erased with every row of personal data; what other events told of the person (addresses, names, phone numbers, networks) no longer reads in the event log. `scheduled` when it followed the user's own request after its grace period.",
    data: z.strictObject({ user_id: id, scheduled: z.boolean() }),
  }),
  'user.deletion_scheduled': defineEvent({
    version: 1,
    description:
      'The user asked to delete their account: their sessions ended, and it is erased at `due_at` unless they sign in before.',
    data: z.strictObject({ user_id: id, due_at: timestamp }),
  }),
  'user.deletion_cancelled': defineEvent({
    version: 1,
    description:
      'The user signed in during the grace period: their account is no longer to be erased.',
    data: z.strictObject({ user_id: id }),
  }),
  'user.data_export.requested': defineEvent({
    version: 1,
    description:
      'An export of everything Gatehouse holds about the user was asked for, by them or by an administrator.',
    data: z.strictObject({ user_id: id, export_id: id }),
  }),
  'user.data_export.ready': defineEvent({
    version: 1,
    description:
      'The export is built and can be downloaded until `expires_at`; the user is told by mail.',
    data: z.strictObject({ user_id: id, export_id: id, expires_at: timestamp }),
  }),
  'user.preferences.updated': defineEvent({
    version: 1,
    description: 'The preferences document was replaced; the names of the fields that changed.',
    data: z.strictObject({
      user_id: id,
      changed_fields: z.array(
        z.enum(['theme', 'notifications', 'watchlists', 'default_trading_account_id']),
      ),
    }),
  }),
  'user.session.created': defineEvent({
    version: 1,
    description: 'A sign-in started a session; `amr` names the methods it used.',
    data: z.strictObject({
      user_id: id,
      session_id: id,
      amr: z.array(z.string()),
      auth_time: timestamp,
    }),
  }),
  'user.session.refreshed': defineEvent({
    version: 1,
    description: "A session's refresh token was exchanged for a new pair.",
    data: z.strictObject({ user_id: id, session_id: id }),
  }),
  'user.session.reauthenticated': defineEvent({
    version: 1,
    description: 'The user proved a credential again inside a live session (step-up).',
    data: z.strictObject({
      user_id: id,
      session_id: id,
      method: z.enum(['password', 'totp', 'backup_code']),
      amr: z.array(z.string()),
    }),
  }),
  'user.session.revoked': defineEvent({
    version: 1,
    description:
      'Sessions ended before their time; one event per revocation, `session_ids` lists every session it ended.',
    data: z.strictObject({
      user_id: id,
      session_ids: z.array(id).min(1),
      reason: z.enum(SESSION_REVOKE_REASONS),
      /** The session the user asked from (`logout_all` ends it too); null when not asked so. */
      by_session_id: id.nullable(),
    }),
  }),
  'user.session.refresh_reused': defineEvent({
    version: 1,
    description:
      'A refresh token that had already been exchanged came back, as a stolen one would: its session was revoked.',
    data: z.strictObject({ user_id: id, session_id: id }),
  }),
  'user.session.anomaly': defineEvent({
    version: 1,
    description:
      'A sign-in came from a device and a network both new for this user (not the first sign-in); `device` names the browser and system. The user is told by mail.',
    data: z.strictObject({
      user_id: id,
      session_id: id,
      auth_time: timestamp,
      device: z.string().max(100),
    }),
  }),
  'user.mfa.challenged': defineEvent({
    version: 1,
    description:
      'A password sign-in owes a second factor (`login`) or must enroll one first (`enroll`).',
    data: z.strictObject({ user_id: id, purpose: z.enum(['login', 'enroll']) }),
  }),
  'user.mfa.verified': defineEvent({
    version: 1,
    description: 'The second step of a sign-in succeeded with this method, starting the session.',
    data: z.strictObject({ user_id: id, method: secondFactorMethod, session_id: id }),
  }),
  'user.mfa.enrollment_started': defineEvent({
    version: 1,
    description: 'An authenticator app enrollment started; it is not active until confirmed.',
    data: z.strictObject({ user_id: id, factor: z.literal('totp') }),
  }),
  'user.mfa.enrolled': defineEvent({
    version: 1,
    description:
      'A second factor became active, in a session of the user or at the end of a sign-in (`session_id` null).',
    data: z.strictObject({ user_id: id, factor: z.literal('totp'), session_id: id.nullable() }),
  }),
  'user.mfa.backup_codes_regenerated': defineEvent({
    version: 1,
    description: 'A new set of backup codes replaced the old one.',
    data: z.strictObject({ user_id: id, count: z.int().positive(), session_id: id }),
  }),
  'user.mfa.removed': defineEvent({
    version: 1,
    description:
      "The user's second factors (authenticator app and backup codes) were removed, by the user in a session of theirs or by an administrator; `removed` is false when there was none.",
    data: z.strictObject({
      user_id: id,
      by: z.enum(['user', 'administrator']),
      removed: z.boolean(),
      session_id: id.nullable(),
    }),
  }),
  'auth.attempt.failed': defineEvent({
    version: 1,
    description:
      'An authentication attempt was refused. `user_id` is set only when the attempt named an existing account.',
    data: z.strictObject({
      attempt: z.enum(AUTH_ATTEMPTS),
      reason: z.string().regex(/^[a-z_]{1,64}$/),
      user_id: id.nullable(),
      session_id: id.nullable(),
    }),
  }),
};
