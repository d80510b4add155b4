import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TRADING_ACCOUNT_RESOURCE } from '../src/modules/trading-accounts/trading-account-directory';
import { rotated } from './authz-check.benchmark';
import {
  adminApi,
  adminToken,
  assertDecisions,
  CHECK_PATH,
  type CheckScenario,
  type DecisionBody,
  type PolicyInput,
  postJson,
  subjectIds,
} from './authz-http-fixture';
import type { Benchmark } from './benchmark';
import type { ConnectionPlan } from './connection-plan';
import { compareTargets, httpTarget } from './load-generator';
import {
  againstTarget,
  describeRounds,
  renderComparisonTable,
  renderSection,
} from './results-file';
import { createServiceClients, clientToken } from './service-clients';
import { addMembers, removeAccounts, seedAccounts } from './trading-accounts-fixture';
import type { GatehouseServer } from './targets';

/** The target: attributes loaded by Gatehouse at no less than this share of supplied ones. */
const TARGET_SHARE = 0.9;
const ACCOUNTS = 20;
const EXPIRED = 2;
const CHECK_SCOPE = 'authz:check';

/** The shipped policies on trading accounts, as the migration wrote them. */
async function shippedPolicies(gatehouse: GatehouseServer) {
  const rows = await gatehouse.app
    .get(DataSource)
    .query<
      Pick<PolicyInput, 'name' | 'effect' | 'priority' | 'actions' | 'resources' | 'condition'>[]
    >(
      `SELECT name, effect, priority, actions, resources, condition FROM policies
        WHERE enabled AND resources = '{trading_account:*}' ORDER BY name`,
    );
  if (rows.length === 0) throw new Error('the shipped trading-account policies are missing');
  return rows;
}

/**
 * `POST /v1/authz/check` on trading accounts two ways, deciding the same questions on the same
 * policies: with the resource's attributes (owner, status, broker, the subject's membership)
 * loaded by Gatehouse from what it knows, against the same checks on a twin resource type whose
 * attributes the caller passes and Gatehouse takes as given.
 */
export const tradingAuthzBenchmark: Benchmark = {
  id: 'trading-authz',
  async run({ settings, gatehouse, progress }) {
    const app = await gatehouse();
    const { connections } = settings;
    const tag = `t${randomBytes(4).toString('hex')}`;
    const twin = `${tag}.${TRADING_ACCOUNT_RESOURCE}`;
    const admin = await adminToken(app, tag);
    const users = await subjectIds(app, tag, ['owner', 'trader', 'viewer', 'stranger']);
    progress(`seeding ${ACCOUNTS} accounts with a trader and a viewer each`);
    const accounts = await seedAccounts(app, tag, users.owner, ACCOUNTS, EXPIRED);
    await addMembers(app, accounts, [
      { userId: users.trader, role: 'trader' },
      { userId: users.viewer, role: 'viewer' },
    ]);

    // The twin type gets the shipped policies, word for word but for the type.
    const policyIds: string[] = [];
    const api = adminApi(app, admin);
    try {
      let version = 0;
      for (const policy of await shippedPolicies(app)) {
        const created = await api<{ policy: { id: string }; policy_set_version: number }>(
          'POST',
          '/v1/policies',
          {
            name: `${tag}-${policy.name}`,
            effect: policy.effect,
            priority: policy.priority,
            subjects: ['*'],
            actions: policy.actions.map((a) =>
              a.replace(`${TRADING_ACCOUNT_RESOURCE}:`, `${twin}:`),
            ),
            resources: [`${twin}:*`],
            condition: policy.condition,
          },
        );
        policyIds.push(created.policy.id);
        version = created.policy_set_version;
      }

      const loaded: CheckScenario[] = [];
      const supplied: CheckScenario[] = [];
      const roles: Record<string, string | null> = {
        owner: null,
        trader: 'trader',
        viewer: 'viewer',
        stranger: null,
      };
      for (const account of accounts) {
        for (const [who, role] of Object.entries(roles)) {
          const mayTrade = account.status === 'active' && (who === 'owner' || role === 'trader');
          const expected = mayTrade ? 'allow' : 'deny';
          const subject = { type: 'user', id: users[who] };
          const id = `${who}-${account.status}`;
          loaded.push({
            id,
            expected,
            body: {
              subject,
              action: `${TRADING_ACCOUNT_RESOURCE}:trade`,
              resource: { type: TRADING_ACCOUNT_RESOURCE, id: account.id },
            },
          });
          supplied.push({
            id,
            expected,
            body: {
              subject,
              action: `${twin}:trade`,
              resource: {
                type: twin,
                id: account.id,
                attributes: {
                  owner_id: account.ownerId,
                  status: account.status,
                  broker: 'zerodha',
                  member_role: role,
                },
              },
            },
          });
        }
      }

      const [client] = await createServiceClients(app, tag, 1, [CHECK_SCOPE]);
      const { access_token: accessToken } = await clientToken(app, client, CHECK_SCOPE);
      const decideAll = (scenarios: CheckScenario[], minVersion?: number) =>
        Promise.all(
          scenarios.map((scenario) =>
            postJson<DecisionBody>(app, CHECK_PATH, accessToken, {
              ...scenario.body,
              ...(minVersion === undefined ? {} : { min_policy_set_version: minVersion }),
            }),
          ),
        );
      const verify = async (minVersion?: number) => {
        assertDecisions(loaded, await decideAll(loaded, minVersion));
        assertDecisions(supplied, await decideAll(supplied, minVersion));
      };
      await verify(version);

      const headers = {
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/json',
      };
      const plan = (scenarios: CheckScenario[]): ConnectionPlan => ({
        kind: 'fixed-requests',
        requestsByConnection: Array.from({ length: connections }, (_, connection) =>
          rotated(scenarios, connection).map((scenario) => ({
            method: 'POST' as const,
            path: CHECK_PATH,
            headers,
            body: JSON.stringify(scenario.body),
          })),
        ),
      });
      const [loadedFigures, suppliedFigures] = await compareTargets(
        [
          ['attributes loaded by Gatehouse', loaded],
          ['attributes passed by the caller', supplied],
        ].map(([name, scenarios]) =>
          httpTarget(name as string, () => ({
            url: `${app.baseUrl}${CHECK_PATH}`,
            connections,
            plan: plan(scenarios as CheckScenario[]),
          })),
        ),
        settings,
        progress,
      );
      await verify();
      const share = loadedFigures.requestsPerSecond / suppliedFigures.requestsPerSecond;
      return renderSection({
        title: `Decision point on trading accounts: POST ${CHECK_PATH}, attributes loaded or passed`,
        description:
          'A sibling trading service asks whether a user may `trading_account:trade` on an ' +
          `account. ${ACCOUNTS} accounts (${EXPIRED} expired) of one owner, each with a trader ` +
          'and a viewer; every connection cycles through the owner, the trader, the viewer and ' +
          'a stranger on every account (allows and denies), every decision checked before and ' +
          'after the run. Loaded: the check names `{type: "trading_account", id}` and Gatehouse ' +
          'supplies `owner_id`, `status`, `broker` and the subject’s `member_role` from its ' +
          'trading-account directory (cached per instance for 1 s, so each account is read ' +
          'from the database about once a second, with its members). Passed: the same checks ' +
          'on a twin resource type holding the shipped trading-account policies word for word, ' +
          'with those four attributes in the request, as a caller that knows them would send. ' +
          'Both with the same service token, the subject cache and the same policy set.',
        settings:
          `${describeRounds(settings, connections)}, ${loaded.length} distinct checks per ` +
          `target; database: ${app.database}.`,
        table: renderComparisonTable([loadedFigures, suppliedFigures], suppliedFigures),
        notes: [
          againstTarget(
            `≥ ${TARGET_SHARE}× the throughput with attributes passed`,
            `${share.toFixed(2)}×`,
            share >= TARGET_SHARE,
          ),
        ],
      });
    } finally {
      for (const id of policyIds) await api('DELETE', `/v1/policies/${id}`);
      await removeAccounts(
        app,
        accounts.map((a) => a.id),
      );
    }
  },
};
