import { Inject, Injectable, Logger } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { GatehousePermission } from '../../common/auth/gatehouse-permissions';
import { Caller } from '../../common/auth/principal';
import { insufficientAuthentication } from '../../common/auth/step-up.decorator';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { DomainError } from '../../common/errors/domain-error';
import { AuthzErrorCode, CommonErrorCode } from '../../common/errors/error-code';
import { AccessService } from '../access/access.service';
import { MetricsService } from '../metrics/metrics.service';
import { ADMIN_ROLE } from '../access/built-in-roles';
import { DecisionIds } from './decision-ids';
import { CheckRequestDto, CheckSubjectDto } from './dto/check-request.dto';
import { DecisionDto, EffectivePermissionsDto } from './dto/decision.dto';
import { CompiledPolicySet } from './engine/compiled-policy-set';
import {
  AuthzRequest,
  AuthzResource,
  AuthzSubject,
} from '../../common/policy-language/authz-request';
import { ConditionBindingsBuilder } from '../../common/policy-language/condition-bindings';
import { PreparedSubject } from '../../common/policy-language/prepared-subject';
import { ConditionSyntaxError } from '../../common/policy-language/condition-syntax-error';
import { PolicyDefinition } from '../../common/policy-language/policy-definition';
import { SimulateRequestDto } from './dto/simulate-request.dto';
import { PolicyEngine, PolicySetVersionUnavailableError } from './policy-engine.service';
import { ResourceDirectory } from './resource-directory';
import {
  KnownSubject,
  SERVICE_ATTRIBUTES,
  SubjectDirectory,
  USER_ATTRIBUTES,
} from './subject-directory';

/** Gatehouse's own permissions are actions on this resource type. */
export const GATEHOUSE_RESOURCE = { type: 'gatehouse' };

/**
 * Attribute names a caller's attributes never carry: those the engine sets itself and those
 * Gatehouse knows of such a subject (supplied by SubjectDirectory, or withheld), whether or not
 * this subject exists.
 */
const RESERVED_SUBJECT_KEYS = {
  user: new Set(['id', 'type', 'roles', ...USER_ATTRIBUTES]),
  service: new Set(['id', 'type', 'roles', ...SERVICE_ATTRIBUTES]),
};

const NOBODY: KnownSubject = { roles: [], attributes: { status: 'unknown' } };

/**
 * A distinct subject of a batch, shared by all its checks: what Gatehouse knows of it and that
 * prepared for the engine, both set before any check is decided.
 */
interface BatchSubject {
  input: CheckSubjectDto;
  known: KnownSubject | null;
  prepared: PreparedSubject | null;
}

const LEVELS_LOGGING_INFO: ReadonlySet<AppConfig['log']['level']> = new Set([
  'info',
  'debug',
  'trace',
]);

/**
 * The decision point: answers "may this subject do this action on this resource?" with the
 * compiled policy set, for sibling services (`/v1/authz/check`) and for Gatehouse's own
 * `@RequirePermission` routes alike.
 */
@Injectable()
export class AuthzService {
  private readonly logger = new Logger(AuthzService.name);
  /**
   * Whether denials reach the log: Nest's `log` is the `info` level. Checked before the line is
   * built, because building it costs more than deciding when the level drops it anyway.
   */
  private readonly logsDenials: boolean;
  private readonly decisionIds = new DecisionIds();
  /** Subjects prepared for the engine, by what the directory knows of them (cached up to 2 s). */
  private readonly prepared = new WeakMap<KnownSubject, PreparedSubject>();

  constructor(
    private readonly engine: PolicyEngine,
    private readonly directory: SubjectDirectory,
    private readonly resources: ResourceDirectory,
    private readonly access: AccessService,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.logsDenials = LEVELS_LOGGING_INFO.has(config.log.level);
  }

  async check(request: CheckRequestDto, explain: boolean): Promise<DecisionDto> {
    const minVersion = request.min_policy_set_version;
    const policySet = this.policySetNow(minVersion) ?? (await this.policySetFor(minVersion));
    return this.decide(policySet, request, explain);
  }

  /**
   * Every check of a batch is decided on one policy set, the newest any of them asks for. What
   * Gatehouse knows of each distinct subject is looked up once, and prepared for the engine once;
   * the checks are then decided one after the other without waiting on anything, and counted
   * once per outcome.
   */
  async checkBatch(requests: CheckRequestDto[], explain: boolean): Promise<DecisionDto[]> {
    let newest = 0;
    for (const { min_policy_set_version: version } of requests) {
      if (version !== undefined && version > newest) newest = version;
    }
    const policySet = this.policySetNow(newest) ?? (await this.policySetFor(newest));
    const { ofCheck, distinct } = this.batchSubjects(requests);
    const missing = this.subjectsFromCache(distinct, policySet.version);
    if (missing.length > 0) await this.lookUpSubjects(missing, policySet.version);
    const resources = await Promise.all(
      requests.map((request) =>
        Promise.resolve(this.resources.resolve(request.resource, request.subject)),
      ),
    );
    const results: DecisionDto[] = [];
    let allowed = 0;
    for (let i = 0; i < requests.length; i++) {
      const { known, prepared } = ofCheck[i];
      const decision = this.decideFor(
        policySet,
        requests[i],
        this.subjectOf(requests[i].subject, known!, prepared!),
        resources[i],
        explain,
      );
      if (decision.allowed) allowed++;
      results.push(decision);
    }
    this.metrics.countDecisions('allow', allowed);
    this.metrics.countDecisions('deny', results.length - allowed);
    return results;
  }

  /**
   * Decides a request on unsaved policies (with the stored roles' permissions), for testing a
   * change before making it. Always explained; not counted among real decisions.
   */
  async simulate(body: SimulateRequestDto): Promise<DecisionDto> {
    const stored = await this.access.snapshot();
    const drafts: PolicyDefinition[] = body.policies.map((policy, index) => ({
      id: `draft:${index}`,
      name: policy.name,
      effect: policy.effect,
      priority: policy.priority,
      subjects: policy.subjects,
      actions: policy.actions,
      resources: policy.resources,
      condition: policy.condition ?? null,
      enabled: policy.enabled ?? true,
    }));
    const draftNames = new Set(drafts.map((policy) => policy.name));
    const policies = body.include_stored_policies
      ? [...drafts, ...stored.policies.filter((policy) => !draftNames.has(policy.name))]
      : drafts;
    let policySet: CompiledPolicySet;
    try {
      policySet = CompiledPolicySet.compile(
        stored.version,
        policies,
        stored.roles,
        this.engine.policySet,
      );
    } catch (error) {
      if (!(error instanceof ConditionSyntaxError) || !error.policy?.id.startsWith('draft:')) {
        throw error;
      }
      const field = `policies.${error.policy.id.slice('draft:'.length)}.condition`;
      const { line, column } = error.position;
      throw new DomainError(
        CommonErrorCode.ValidationFailed,
        `The condition of ${field} does not compile: line ${line}, column ${column}: ${error.reason}.`,
        { errors: [{ field, message: error.reason, line, column }] },
      );
    }
    return this.decide(policySet, body.request, true, { counted: false });
  }

  /**
   * Whether the caller holds one of Gatehouse's own permissions: a service through its token's
   * scopes, a user through the engine.
   */
  callerMay(caller: Caller, permission: GatehousePermission): Promise<boolean> {
    return caller.kind === 'service'
      ? Promise.resolve(caller.scopes.includes(permission))
      : this.userMay(caller.userId, permission);
  }

  /**
   * A holder of a role that requires a second factor (MFA_REQUIRED_ROLES) uses Gatehouse's own
   * permissions only from a session that presented one: a role granted during a password-only
   * session, or a session that outlived the removal of its factor, must step up first (the
   * step-up refusal). Services have no second factor to present.
   */
  async assertAssuranceForPermissions(caller: Caller): Promise<void> {
    if (caller.kind !== 'user' || caller.acr === 'aal2') return;
    const required = this.config.mfa.requiredRoles;
    if (required.length === 0) return;
    const roles = await this.rolesOf(caller.userId);
    if (roles.some((role) => required.includes(role))) {
      throw insufficientAuthentication({ assurance: 'aal2' });
    }
  }

  /** The roles a user holds now (as decisions see them: cached up to 2 s). */
  async rolesOf(userId: string): Promise<string[]> {
    return (await this.directory.user(userId, this.engine.policySet.version)).roles;
  }

  /**
   * Whether a user may do one of Gatehouse's own actions (`users:read`…). An active holder of
   * `admin` always may, whatever the policies say: no policy can lock the administrators out of
   * the API that would remove it.
   */
  async userMay(userId: string, permission: GatehousePermission): Promise<boolean> {
    const policySet = this.engine.policySet;
    const known =
      this.directory.cached('user', userId, policySet.version) ??
      (await this.directory.user(userId, policySet.version));
    if (known.roles.includes(ADMIN_ROLE)) {
      this.metrics.countDecisions('allow', 1);
      return true;
    }
    const decision = policySet.evaluate({
      subject: this.preparedOf({ type: 'user', id: userId }, known),
      action: permission,
      resource: GATEHOUSE_RESOURCE,
    });
    this.metrics.countDecisions(decision.decision, 1);
    return decision.allowed;
  }

  async permissionsOfUser(userId: string): Promise<EffectivePermissionsDto> {
    const policySet = this.engine.policySet;
    const { roles } = await this.directory.user(userId, policySet.version);
    return { roles, permissions: policySet.permissionsOf(roles) };
  }

  /** The policy set decisions are made with, when it is new enough; null when a read is due. */
  private policySetNow(minVersion: number | undefined): CompiledPolicySet | null {
    const current = this.engine.policySet;
    return minVersion === undefined || current.version >= minVersion ? current : null;
  }

  private async policySetFor(minVersion: number | undefined): Promise<CompiledPolicySet> {
    if (minVersion === undefined) return this.engine.policySet;
    try {
      return await this.engine.atLeast(minVersion);
    } catch (error) {
      if (!(error instanceof PolicySetVersionUnavailableError)) throw error;
      throw new DomainError(
        AuthzErrorCode.PolicySetVersionUnavailable,
        `Policy set version ${error.requested} does not exist; the latest is ${error.available}.`,
        { errors: [{ field: 'min_policy_set_version', message: 'is newer than any policy set' }] },
      );
    }
  }

  private async decide(
    policySet: CompiledPolicySet,
    request: CheckRequestDto,
    explain: boolean,
    { counted } = { counted: true },
  ): Promise<DecisionDto> {
    const { subject } = request;
    const known =
      this.directory.cached(subject.type, subject.id, policySet.version) ??
      (await this.knownSubject(subject, policySet.version));
    // Most resources are answered at once (no registered source, or its cache): no await then.
    const resolved = this.resources.resolve(request.resource, subject);
    const decision = this.decideFor(
      policySet,
      request,
      this.subjectOf(subject, known),
      resolved instanceof Promise ? await resolved : resolved,
      explain,
      counted,
    );
    if (counted) this.metrics.countDecisions(decision.decision, 1);
    return decision;
  }

  /**
   * Decides one check; the caller counts it (a batch counts its decisions together). A denial
   * of a counted decision is logged with its id, unless the log level drops such lines anyway.
   */
  private decideFor(
    policySet: CompiledPolicySet,
    request: CheckRequestDto,
    subject: AuthzSubject,
    resource: AuthzResource,
    explain: boolean,
    counted = true,
  ): DecisionDto {
    const authzRequest: AuthzRequest = {
      subject,
      action: request.action,
      resource,
      context: request.context,
    };
    const decision = explain
      ? policySet.evaluate(authzRequest, { explain })
      : policySet.evaluate(authzRequest);
    const result: DecisionDto = {
      allowed: decision.allowed,
      decision: decision.decision,
      decision_id: this.decisionIds.next(),
      policy_set_version: policySet.version,
      reasons: decision.reasons,
    };
    if (decision.diagnostics.length > 0) result.diagnostics = decision.diagnostics;
    if (explain) result.trace = decision.trace ?? [];
    if (counted && !decision.allowed && this.logsDenials) {
      this.logger.log(
        `Denied ${request.action} on ${request.resource.type} to a ${subject.type} ` +
          `(decision ${result.decision_id}, policy set ${policySet.version})`,
      );
    }
    return result;
  }

  private knownSubject(input: CheckSubjectDto, version: number): Promise<KnownSubject> {
    if (input.type === 'service') return this.directory.service(input.id, version);
    return isUUID(input.id) ? this.directory.user(input.id, version) : Promise.resolve(NOBODY);
  }

  /** The distinct subjects of a batch, and which one each check names. */
  private batchSubjects(requests: CheckRequestDto[]): {
    ofCheck: BatchSubject[];
    distinct: BatchSubject[];
  } {
    const byId = {
      user: new Map<string, BatchSubject>(),
      service: new Map<string, BatchSubject>(),
    };
    const ofCheck: BatchSubject[] = [];
    const distinct: BatchSubject[] = [];
    for (const { subject } of requests) {
      const ids = byId[subject.type];
      let entry = ids.get(subject.id);
      if (entry === undefined) {
        entry = { input: subject, known: null, prepared: null };
        ids.set(subject.id, entry);
        distinct.push(entry);
      }
      ofCheck.push(entry);
    }
    return { ofCheck, distinct };
  }

  /**
   * Fills in the subjects the directory's cache holds, without waiting on anything; returns the
   * others, to be looked up.
   */
  private subjectsFromCache(subjects: BatchSubject[], version: number): BatchSubject[] {
    const missing: BatchSubject[] = [];
    for (const subject of subjects) {
      const { type, id } = subject.input;
      const known = this.directory.cached(type, id, version);
      if (known === undefined) missing.push(subject);
      else this.fill(subject, known);
    }
    return missing;
  }

  private async lookUpSubjects(subjects: BatchSubject[], version: number): Promise<void> {
    await Promise.all(
      subjects.map(async (subject) =>
        this.fill(subject, await this.knownSubject(subject.input, version)),
      ),
    );
  }

  private fill(subject: BatchSubject, known: KnownSubject): void {
    subject.known = known;
    subject.prepared = this.preparedOf(subject.input, known);
  }

  /**
   * The subject as the engine sees it: what Gatehouse knows wins over what the caller says.
   * Without attributes of the caller's own it is the prepared subject, the same for every check
   * of that subject while the directory's entry lasts.
   */
  private subjectOf(
    input: CheckSubjectDto,
    known: KnownSubject,
    prepared?: PreparedSubject,
  ): AuthzSubject {
    const supplied = input.attributes && suppliedAttributes(input.type, input.attributes);
    if (!supplied) return prepared ?? this.preparedOf(input, known);
    for (const key in known.attributes) supplied[key] = known.attributes[key];
    return { type: input.type, id: input.id, roles: known.roles, attributes: supplied };
  }

  /** What Gatehouse knows of a subject, prepared for the engine once per directory entry. */
  private preparedOf(input: CheckSubjectDto, known: KnownSubject): PreparedSubject {
    const prepared = this.prepared.get(known);
    // One entry serves one subject, but NOBODY stands for every user id that is no UUID.
    if (prepared !== undefined && prepared.id === input.id && prepared.type === input.type) {
      return prepared;
    }
    const subject = ConditionBindingsBuilder.prepare({
      type: input.type,
      id: input.id,
      roles: known.roles,
      attributes: known.attributes,
    });
    this.prepared.set(known, subject);
    return subject;
  }
}

/**
 * The caller's attributes other than those Gatehouse reserves, or null when none is left. An
 * ordinary object, which V8 reads and walks much faster than one without a prototype; a
 * `__proto__` key is defined as a plain property, never assigned (which would set the
 * prototype).
 */
function suppliedAttributes(
  type: CheckSubjectDto['type'],
  attributes: Record<string, unknown>,
): Record<string, unknown> | null {
  const reserved = RESERVED_SUBJECT_KEYS[type];
  let supplied: Record<string, unknown> | null = null;
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key) || reserved.has(key)) continue;
    supplied ??= {};
    if (key === '__proto__') {
      Object.defineProperty(supplied, key, {
        value: attributes[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      supplied[key] = attributes[key];
    }
  }
  return supplied;
}
