import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { isEmail } from 'class-validator';
import { DataSource } from 'typeorm';
import { EnvelopeCipher } from './common/crypto/envelope-cipher';
import { loadMasterKey } from './common/crypto/master-key';
import { AppConfig } from './config/app-config';
import { ConfigError } from './config/config.error';
import { loadConfig } from './config/load-config';
import { dataSourceOptions } from './database/data-source-options';
import { DatabaseEndpoint, openDatabaseEndpoint } from './database/database-endpoint';
import { createJobQueueClient } from './modules/events/jobs/job-queue.service';
import { runPendingMigrations } from './database/migrate';
import { detectSchemaDrift, renderMigration } from './database/schema-drift';
import { SigningKeyRepository } from './modules/auth/signing-key.repository';
import { SigningKeyService } from './modules/auth/signing-key.service';
import { AccountsCliModule } from './modules/users/accounts-cli.module';
import { PasswordHasher } from './common/crypto/password-hasher';
import { PasswordPolicy } from './common/crypto/password-policy';
import { DomainError } from './common/errors/domain-error';
import { Transactions } from './database/transactions';
import { AccessService } from './modules/access/access.service';
import { ADMIN_ROLE } from './modules/access/built-in-roles';
import { systemActor } from './common/auth/actor';
import { PasswordInputError, readNewPassword } from './modules/users/admin-bootstrap';
import { UsersService } from './modules/users/users.service';
import { GRANTABLE_SCOPES } from './modules/clients/client-identifiers';
import { OAuthClientsCliModule } from './modules/clients/oauth-clients-cli.module';
import { OAuthClientsService } from './modules/clients/oauth-clients.service';
import { DISPLAY_NAME } from './common/validation/profile-formats';
import { AuditChainVerifier } from './modules/audit/audit-chain-verifier';
import { AuditChainRepository } from './modules/audit/audit-chain.repository';
import { toChainReportDto } from './modules/audit/audit-views';
import { DEFAULT_REWRAP_BATCH, EnvelopeRewrap } from './modules/master-keys/envelope-rewrap';
import { SealedEnvelopesRepository } from './modules/master-keys/sealed-envelopes.repository';

const USAGE = `usage: npm run cli -- <command>

commands:
  migration:run              apply pending migrations (under the advisory lock) and install
                             or migrate the job queue's schema (pg-boss)
  migration:generate <Name>  write migrations/<timestamp>-<Name>.ts from the entity changes
  migration:check            exit 1 if the entities need a migration that does not exist
  keys:rotate [--force]      make the next signing key current and publish a new next key
                             (--force: even if verifiers may not have the next key yet)
  keys:rewrap [--batch-size <n>]
                             reseal under the current master key (the first of MASTER_KEYS)
                             every envelope still sealed under a previous one, in batches;
                             safe to interrupt and run again; reports what is left
  admin:create --email <address> [--name <name>]
                             create an active, verified account holding the admin role;
                             the password is prompted for (or read from standard input
                             when piped)
  clients:create --name <name> --scopes "<scope> ..."
                             create a service client allowed these scopes; prints its
                             client_id and its secret, which is shown this once only
  audit:verify               check the audit log's hash chain and signed checkpoints; prints
                             the report (JSON) and exits 1 naming the first row changed,
                             deleted, inserted or reordered`;

const say = (line: string) => process.stdout.write(`${line}\n`);

/** The envelope cipher with the whole key ring; never a key of its own (an existing database). */
function envelopeCipher(config: AppConfig): EnvelopeCipher {
  return new EnvelopeCipher(
    loadMasterKey(config, say, { generate: false }),
    config.crypto.previousMasterKeys,
  );
}

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

/** Runs after pending migrations were applied; returns the exit code. */
type Command = (
  dataSource: DataSource,
  args: string[],
  config: AppConfig,
  database: DatabaseEndpoint,
) => Promise<number> | number;

const commands: Record<string, Command> = {
  // The job queue's schema is pg-boss's own: installed, or migrated, by starting it once.
  'migration:run': async (_dataSource, _args, config, database) => {
    const jobs = createJobQueueClient(config, database.embedded?.db ?? null, false);
    await jobs.start();
    await jobs.stop({ graceful: false });
    return 0;
  },

  'migration:generate': async (dataSource, [name]) => {
    if (!name || !/^[A-Z][A-Za-z0-9]*$/.test(name)) {
      process.stderr.write('migration:generate needs a PascalCase name, e.g. CreateUsers\n');
      return 2;
    }
    const drift = await detectSchemaDrift(dataSource);
    if (drift.up.length === 0) {
      say('No changes: the entities match the migrations.');
      return 0;
    }
    const timestamp = Date.now();
    const file = join(process.cwd(), 'migrations', `${timestamp}-${name}.ts`);
    // Formatted like the rest of the repository, so format:check passes on the new file.
    // Prettier is a development dependency, as is generating migrations.
    const prettier = await import('prettier');
    const style = await prettier.resolveConfig(file);
    const source = renderMigration(name, timestamp, drift);
    writeFileSync(file, await prettier.format(source, { ...style, filepath: file }));
    say(`Wrote ${file} (${drift.up.length} statement(s)). Review it before committing.`);
    return 0;
  },

  'keys:rotate': async (dataSource, args, config) => {
    const cipher = envelopeCipher(config);
    const keys = new SigningKeyService(new SigningKeyRepository(dataSource), cipher, config);
    const current = await keys.rotate({ force: args.includes('--force') });
    say(
      `Rotated: ${current.kid} now signs. Published: ${(await keys.publishedKeys()).map((k) => k.kid).join(', ')}`,
    );
    return 0;
  },

  'keys:rewrap': async (dataSource, args, config) => {
    const batchSize = Number(option(args, '--batch-size') ?? DEFAULT_REWRAP_BATCH);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10000) {
      process.stderr.write('keys:rewrap: --batch-size must be an integer from 1 to 10000\n');
      return 2;
    }
    const cipher = envelopeCipher(config);
    const rewrap = new EnvelopeRewrap(
      new SealedEnvelopesRepository(new Transactions(dataSource)),
      cipher,
    );
    say(`Resealing under master key ${cipher.keyId}, ${batchSize} envelope(s) a batch.`);
    const report = await rewrap.rewrap({ batchSize }, (done) =>
      say(`  ${done.column}: ${done.rewrapped} rewrapped so far`),
    );
    for (const done of report.filter((d) => d.rewrapped > 0 || d.unopenable > 0)) {
      say(
        `${done.column}: ${done.rewrapped} rewrapped` +
          (done.unopenable > 0 ? `, ${done.unopenable} did not open (left as they are)` : ''),
      );
    }
    const total = report.reduce((sum, d) => sum + d.rewrapped, 0);
    const left = await rewrap.left();
    say(`Rewrapped ${total} envelope(s).`);
    for (const l of left) {
      const why =
        l.kept ?? (l.unknownKey ? 'its key is not in MASTER_KEYS' : 'run keys:rewrap again');
      say(`Left: ${l.column}: ${l.count} under master key ${l.keyId} (${why})`);
    }
    if (left.some((l) => !l.kept)) return 1;
    say(
      left.length === 0
        ? 'Nothing is left under a previous master key: it can be removed from MASTER_KEYS.'
        : 'Only envelopes that are never resealed are left under previous master keys: keep those keys in MASTER_KEYS.',
    );
    return 0;
  },

  'audit:verify': async (dataSource, _args, config) => {
    const cipher = envelopeCipher(config);
    const keys = new SigningKeyService(new SigningKeyRepository(dataSource), cipher, config);
    const verifier = new AuditChainVerifier(
      new AuditChainRepository(new Transactions(dataSource)),
      keys,
    );
    const report = toChainReportDto(await verifier.verify());
    say(JSON.stringify(report, null, 2));
    if (report.finding) {
      process.stderr.write(`audit:verify: ${report.finding.kind}: ${report.finding.detail}\n`);
      return 1;
    }
    say(
      `The audit log verifies: ${report.rows_checked} row(s) chained, ` +
        `${report.checkpoints_checked} checkpoint(s) hold.`,
    );
    return 0;
  },

  'admin:create': async (_dataSource, args, config, database) => {
    const email = option(args, '--email');
    const name = option(args, '--name') ?? 'Administrator';
    // The same check as the login form's: an address it refuses could never sign in.
    if (!email || !isEmail(email)) {
      process.stderr.write('admin:create needs --email <address>\n');
      return 2;
    }
    let password: string;
    try {
      password = await readNewPassword(process.stdin, process.stdout);
    } catch (error) {
      if (!(error instanceof PasswordInputError)) throw error;
      process.stderr.write(`admin:create: ${error.message}\n`);
      return 1;
    }
    const context = await NestFactory.createApplicationContext(
      AccountsCliModule.forRoot(config, database),
      { logger: ['error'], abortOnError: false },
    );
    try {
      const users = context.get(UsersService, { strict: false });
      context.get(PasswordPolicy, { strict: false }).assertAcceptable(password, { email });
      const passwordHash = await context.get(PasswordHasher, { strict: false }).hash(password);
      // The account, its admin role and the event commit together: never an account that
      // was meant to administer and cannot.
      const actor = systemActor('cli');
      const id = await context.get(Transactions, { strict: false }).run(async () => {
        const created = await users.createActive({ email, name, passwordHash }, { actor });
        if (!created) return null;
        await context.get(AccessService, { strict: false }).grantRole(created, ADMIN_ROLE, actor);
        return created;
      });
      if (!id) {
        process.stderr.write('admin:create: an account with this email already exists\n');
        return 1;
      }
      say(
        `Created ${email.toLowerCase()} (${id}): active, verified, holds the admin role, can sign in now.`,
      );
      return 0;
    } catch (error) {
      if (error instanceof DomainError) {
        const reasons = (error.details.errors ?? []).map((e) => `${e.field} ${e.message}`);
        process.stderr.write(`admin:create: ${reasons.join('; ') || error.detail}\n`);
        return 1;
      }
      throw error;
    } finally {
      await context.close();
    }
  },

  'clients:create': async (_dataSource, args, config, database) => {
    const name = option(args, '--name')?.trim();
    const scopes = (option(args, '--scopes') ?? '').split(/\s+/).filter((s) => s !== '');
    const unknown = scopes.filter((scope) => !GRANTABLE_SCOPES.includes(scope));
    if (!name || !DISPLAY_NAME.test(name) || name.length > 200 || scopes.length === 0) {
      process.stderr.write('clients:create needs --name <name> and --scopes "<scope> ..."\n');
      return 2;
    }
    if (unknown.length > 0) {
      process.stderr.write(
        `clients:create: unknown scope(s) ${unknown.join(', ')}; one of: ${GRANTABLE_SCOPES.join(', ')}\n`,
      );
      return 2;
    }
    const context = await NestFactory.createApplicationContext(
      OAuthClientsCliModule.forRoot(config, database),
      { logger: ['error'], abortOnError: false },
    );
    try {
      const { client, secret } = await context
        .get(OAuthClientsService, { strict: false })
        .create({ name, scopes, secretExpiresAt: null }, systemActor('cli'));
      say(`Created service client "${client.client.name}" (id ${client.client.id}).`);
      say(`  allowed scopes: ${client.client.allowedScopes.join(' ')}`);
      say(`  client_id:      ${client.client.clientId}`);
      say(`  client_secret:  ${secret.secret}`);
      say('The secret is shown only now: Gatehouse keeps a hash of it.');
      return 0;
    } finally {
      await context.close();
    }
  },

  'migration:check': async (dataSource) => {
    const drift = await detectSchemaDrift(dataSource);
    if (drift.up.length === 0) {
      say('Schema in sync: the migrations produce exactly what the entities describe.');
      return 0;
    }
    process.stderr.write(
      `Schema drift: the entities need changes no migration makes. Run npm run migration:generate -- <Name>.\n` +
        drift.up.map((q) => `  ${q.query};`).join('\n') +
        '\n',
    );
    return 1;
  },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  const database = await openDatabaseEndpoint(config, (message) => say(message));
  const dataSource = new DataSource(dataSourceOptions(config, database.url));
  try {
    await dataSource.initialize();
    const applied = await runPendingMigrations(dataSource);
    for (const migration of applied) say(`Applied ${migration.name}`);
    return await command(dataSource, args, config, database);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await database.embedded?.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      error instanceof ConfigError
        ? `gatehouse: ${error.message}\n`
        : `gatehouse: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
