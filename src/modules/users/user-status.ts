/** The states of an account, as every module may name them. */
export const USER_STATUSES = [
  'pending_verification',
  /** Invited by an administrator: no password until the invitation is accepted. */
  'invited',
  'active',
  'suspended',
  'deactivated',
] as const;
export type UserStatus = (typeof USER_STATUSES)[number];
