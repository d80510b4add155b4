import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The circuit breaker of one Okta org, shared by every instance: enrichments failing in a row
 * (`failures`), until when it is open (`open_until`; none: closed), and until when the one probe
 * of a half-open circuit holds it (`probe_until`).
 */
@Entity('hr_okta_circuits')
export class OktaCircuit {
  @PrimaryColumn({ name: 'org_url', type: 'text' })
  orgUrl!: string;

  @Column({ type: 'integer', default: 0 })
  failures!: number;

  @Column({ name: 'open_until', type: 'timestamptz', nullable: true })
  openUntil!: Date | null;

  @Column({ name: 'probe_until', type: 'timestamptz', nullable: true })
  probeUntil!: Date | null;
}
