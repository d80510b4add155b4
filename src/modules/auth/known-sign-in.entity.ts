import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../users/user.entity';

/**
 * A device and network a user has signed in from, kept to recognise the next sign-in from
 * them. Only keyed hashes (`EnvelopeCipher.keyedHash`, bound to the user) are stored: where a
 * user signs in from is personal data, and a hash of a /24 alone could be reversed by trying
 * every network. `key_id` names the master key the hashes were made under; after the key
 * changes the old rows no longer compare and the user counts as never seen.
 */
@Entity('known_sign_ins')
@Index('UQ_known_sign_ins_context', ['userId', 'deviceHash', 'networkHash'], { unique: true })
@Index('IDX_known_sign_ins_last_seen_at', ['lastSeenAt'])
export class KnownSignIn {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ name: 'key_id', type: 'text' })
  keyId!: string;

  @Column({ name: 'device_hash', type: 'bytea' })
  deviceHash!: Buffer;

  @Column({ name: 'network_hash', type: 'bytea' })
  networkHash!: Buffer;

  @Column({ name: 'first_seen_at', type: 'timestamptz' })
  firstSeenAt!: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt!: Date;
}
