import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export type SigningKeyStatus = 'next' | 'current' | 'retired';

/**
 * One key of the token-signing key set. `current` signs; `next` is already published so that
 * verifiers have it before it signs anything; `retired` keys stay published until every token
 * they signed has expired.
 */
@Entity('signing_keys')
@Check('CHK_signing_keys_status', `"status" IN ('next', 'current', 'retired')`)
@Check('CHK_signing_keys_current_activated', `"status" <> 'current' OR "activated_at" IS NOT NULL`)
@Check('CHK_signing_keys_retired_at', `"status" <> 'retired' OR "retired_at" IS NOT NULL`)
@Check('CHK_signing_keys_private_key', `("status" = 'retired') = ("private_key_sealed" IS NULL)`)
@Index('UQ_signing_keys_one_current', ['status'], { unique: true, where: `"status" = 'current'` })
@Index('UQ_signing_keys_one_next', ['status'], { unique: true, where: `"status" = 'next'` })
export class SigningKey {
  /** RFC 7638 thumbprint of the public key. */
  @PrimaryColumn({ type: 'text' })
  kid!: string;

  @Column({ type: 'text' })
  alg!: string;

  @Column({ type: 'text' })
  status!: SigningKeyStatus;

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk!: Record<string, string>;

  /**
   * PKCS#8 private key in an EnvelopeCipher envelope; never selected unless asked for, and
   * erased when the key retires (a retired key only verifies, it never signs again).
   */
  @Column({ name: 'private_key_sealed', type: 'text', nullable: true, select: false })
  privateKeySealed!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true })
  activatedAt!: Date | null;

  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt!: Date | null;
}
