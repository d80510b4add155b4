import { z } from 'zod';
import { defineEvent, id, timestamp } from './event-definition';

const broker = z.enum(['zerodha']);
const memberRole = z.enum(['viewer', 'trader', 'manager']);
const status = z.enum(['active', 'expired', 'revoked', 'error']);

/**
 * Trading accounts: broker links, their sharing and the use of their broker sessions. `user_id`
 * is the user the event is about (the owner, or the member concerned); never a credential.
 */
export const TRADING_ACCOUNT_EVENTS = {
  'trading_account.linked': defineEvent({
    version: 1,
    description:
      'A broker account was linked, or linked again (`relinked`: the same broker user, whose session and profile were renewed).',
    data: z.strictObject({
      account_id: id,
      user_id: id,
      broker,
      broker_user_id: z.string().max(64),
      relinked: z.boolean(),
      token_expires_at: timestamp,
    }),
  }),
  'trading_account.updated': defineEvent({
    version: 1,
    description: "The owner or a manager changed the account's display name.",
    data: z.strictObject({
      account_id: id,
      user_id: id,
      changes: z.strictObject({
        before: z.strictObject({ display_name: z.string() }),
        after: z.strictObject({ display_name: z.string() }),
      }),
    }),
  }),
  'trading_account.unlinked': defineEvent({
    version: 1,
    description:
      'The owner unlinked the account: its credentials were destroyed, and the broker asked to end its session (`broker_session_invalidated` says whether it confirmed).',
    data: z.strictObject({
      account_id: id,
      user_id: id,
      broker,
      broker_session_invalidated: z.boolean(),
    }),
  }),
  'trading_account.expired': defineEvent({
    version: 1,
    description:
      'The broker session ended (its daily expiry, a logout or a login elsewhere): the owner must link again before anyone trades on it.',
    data: z.strictObject({ account_id: id, user_id: id, expired_at: timestamp }),
  }),
  'trading_account.status_changed': defineEvent({
    version: 1,
    description:
      'The broker refused the account for another reason than an expired session (`revoked`: the app lost its permission; `error`: the broker answers nonsense).',
    data: z.strictObject({ account_id: id, user_id: id, status, reason: z.string().max(200) }),
  }),
  'trading_account.profile_synced': defineEvent({
    version: 1,
    description: 'The broker profile (and margins) of the account were read afresh.',
    data: z.strictObject({ account_id: id, user_id: id, synced_at: timestamp }),
  }),
  'trading_account.member_invited': defineEvent({
    version: 1,
    description: 'A user was invited to the account with a role; they accept or decline.',
    data: z.strictObject({ account_id: id, user_id: id, role: memberRole }),
  }),
  'trading_account.member_added': defineEvent({
    version: 1,
    description: 'An invited user accepted and is a member with `role`.',
    data: z.strictObject({ account_id: id, user_id: id, role: memberRole }),
  }),
  'trading_account.member_role_changed': defineEvent({
    version: 1,
    description: "A member's role changed.",
    data: z.strictObject({
      account_id: id,
      user_id: id,
      changes: z.strictObject({
        before: z.strictObject({ role: memberRole }),
        after: z.strictObject({ role: memberRole }),
      }),
    }),
  }),
  'trading_account.member_removed': defineEvent({
    version: 1,
    description:
      'A member or an invitation was removed (by the owner or a manager), or declined or left by the user.',
    data: z.strictObject({
      account_id: id,
      user_id: id,
      role: memberRole,
      reason: z.enum(['removed', 'declined', 'left']),
    }),
  }),
  'trading_account.ownership_transferred': defineEvent({
    version: 1,
    description: 'The owner handed the account to a member, who becomes its owner.',
    data: z.strictObject({ account_id: id, user_id: id, previous_owner_id: id }),
  }),
  'trading_account.session_issued': defineEvent({
    version: 1,
    description:
      'A service fetched the broker session of the account to act for `user_id` (never the session itself).',
    data: z.strictObject({ account_id: id, user_id: id, client_id: z.string().max(100) }),
  }),
};
