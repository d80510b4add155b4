import { DataSource } from 'typeorm';
import type { MemberRole } from '../src/modules/trading-accounts/trading-account-member.entity';
import type { TradingAccountStatus } from '../src/modules/trading-accounts/trading-account.entity';
import type { GatehouseServer } from './targets';

/** Accounts as a linked account's row holds them, written straight to the database. */
export interface SeededAccount {
  id: string;
  ownerId: string;
  status: TradingAccountStatus;
}

/**
 * `count` Zerodha accounts of `ownerId` with broker user ids `<tag>-<n>`, their sessions valid
 * for a day; the first `expired` of them expired. Seeding through the Kite peer would cost a
 * login per account that the benchmarks reading accounts do not measure.
 */
export async function seedAccounts(
  gatehouse: GatehouseServer,
  tag: string,
  ownerId: string,
  count: number,
  expired = 0,
): Promise<SeededAccount[]> {
  const rows = await gatehouse.app.get(DataSource).query<{ id: string; status: string }[]>(
    `INSERT INTO trading_accounts (owner_id, broker, broker_user_id, app, display_name, status,
       profile, token_expires_at, linked_at, synced_at)
     SELECT $1, 'zerodha', $2 || '-' || i, 'platform', 'Bench ' || i,
            CASE WHEN i < $4 THEN 'expired' ELSE 'active' END,
            '{"name": "Bench", "exchanges": ["NSE"], "products": ["CNC"]}',
            now() + interval '1 day', now(), now()
       FROM generate_series(0, $3::int - 1) AS i
     RETURNING id, status`,
    [ownerId, tag, count, expired],
  );
  return rows.map((row) => ({
    id: row.id,
    ownerId,
    status: row.status as TradingAccountStatus,
  }));
}

/** Active members of every account, with the roles given. */
export async function addMembers(
  gatehouse: GatehouseServer,
  accounts: SeededAccount[],
  members: { userId: string; role: MemberRole }[],
): Promise<void> {
  await gatehouse.app.get(DataSource).query(
    `INSERT INTO trading_account_members (account_id, user_id, role, status, accepted_at)
     SELECT a, m.user_id, m.role, 'active', now()
       FROM unnest($1::uuid[]) AS a, unnest($2::uuid[], $3::text[]) AS m(user_id, role)`,
    [accounts.map((a) => a.id), members.map((m) => m.userId), members.map((m) => m.role)],
  );
}

/** Deletes the accounts seeded (their credentials and memberships go with them). */
export async function removeAccounts(gatehouse: GatehouseServer, ids: string[]): Promise<void> {
  await gatehouse.app
    .get(DataSource)
    .query('DELETE FROM trading_accounts WHERE id = ANY($1::uuid[])', [ids]);
}
