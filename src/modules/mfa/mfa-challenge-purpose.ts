/** Why a sign-in owes a second factor: a code is due (`login`) or one must be enrolled first. */
export type MfaChallengePurpose = 'login' | 'enroll';
