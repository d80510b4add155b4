import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  OneToOne,
  PrimaryColumn,
} from 'typeorm';
import { User } from '../users/user.entity';

export type TotpFactorStatus = 'pending' | 'active';

/**
 * A user's authenticator-app factor (RFC 6238). The seed is sealed with the envelope cipher under
 * the master key, bound to the user. It is `pending` from enrollment until a first code proves
 * the app holds it, then `active`. `last_used_step` is the time step of the last accepted code:
 * only later steps are accepted, so a code works once.
 */
@Entity('mfa_totp_factors')
@Check('CHK_mfa_totp_factors_status', `"status" IN ('pending', 'active')`)
export class TotpFactor {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @OneToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ name: 'secret_sealed', type: 'text' })
  secretSealed!: string;

  @Column({ type: 'text' })
  status!: TotpFactorStatus;

  @Column({ name: 'last_used_step', type: 'bigint', nullable: true })
  lastUsedStep!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true })
  activatedAt!: Date | null;
}
