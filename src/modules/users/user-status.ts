/** The states of an account, as every module may name them. */
export const USER_STATUSES = [
  'pending_verification',
  'active',
  'suspended',
  'deactivated',
] as const;
export type UserStatus = (typeof USER_STATUSES)[number];
