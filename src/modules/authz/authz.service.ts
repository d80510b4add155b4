import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { GatehousePermission } from '../../common/auth/gatehouse-permissions';
import { Caller } from '../../common/auth/principal';
import { ErrorCode } from '../../common/errors/error-code';
import { ProblemException } from '../../common/errors/problem.exception';
import { AccessService } from '../access/access.service';
import { MetricsService } from '../metrics/metrics.service';
import { ADMIN_ROLE } from '../access/built-in-roles';
import { CheckRequestDto, CheckSubjectDto } from './dto/check-request.dto';
import { DecisionDto, EffectivePermissionsDto } from './dto/decision.dto';
import { CompiledPolicySet } from './engine/compiled-policy-set';
import { AuthzSubject } from './engine/authz-request';
import { ConditionSyntaxError } from './engine/condition-syntax-error';
import { PolicyDefinition } from './engine/policy-definition';
import { SimulateRequestDto } from './dto/simulate-request.dto';
import { PolicyEngine, PolicySetVersionUnavailableError } from './policy-engine.service';
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
 * The decision point: answers "may this subject do this action on this resource?" with the
 * compiled policy set, for sibling services (`/v1/authz/check`) and for Gatehouse's own
 * `@RequirePermission` routes alike.
 */
@Injectable()
export class AuthzService {
  private readonly logger = new Logger(AuthzService.name);

  constructor(
    private readonly engine: PolicyEngine,
    private readonly directory: SubjectDirectory,
    private readonly access: AccessService,
    private readonly metrics: MetricsService,
  ) {}

  async check(request: CheckRequestDto, explain: boolean): Promise<DecisionDto> {
    const policySet = await this.policySetFor(request.min_policy_set_version);
    return this.decide(policySet, request, explain);
  }

  /**
   * Every check of a batch is decided on one policy set, the newest any of them asks for. What
   * Gatehouse knows of each distinct subject is looked up once; the checks are then decided one
   * after the other without waiting on anything.
   */
  async checkBatch(requests: CheckRequestDto[], explain: boolean): Promise<DecisionDto[]> {
    const newest = Math.max(0, ...requests.map((r) => r.min_policy_set_version ?? 0));
    const policySet = await this.policySetFor(newest);
    const lookups = new Map<string, Promise<KnownSubject>>();
    for (const { subject } of requests) {
      const key = subjectKey(subject);
      if (!lookups.has(key)) lookups.set(key, this.knownSubject(subject, policySet.version));
    }
    const known = new Map<string, KnownSubject>();
    await Promise.all([...lookups].map(async ([key, lookup]) => known.set(key, await lookup)));
    return requests.map((request) =>
      this.decideFor(policySet, request, known.get(subjectKey(request.subject))!, explain),
    );
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
      throw new ProblemException(
        422,
        ErrorCode.ValidationFailed,
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
    const known = await this.directory.user(userId, policySet.version);
    if (known.roles.includes(ADMIN_ROLE)) {
      this.metrics.countDecision('allow');
      return true;
    }
    const decision = policySet.evaluate({
      subject: { type: 'user', id: userId, roles: known.roles, attributes: known.attributes },
      action: permission,
      resource: GATEHOUSE_RESOURCE,
    });
    this.metrics.countDecision(decision.decision);
    return decision.allowed;
  }

  async permissionsOfUser(userId: string): Promise<EffectivePermissionsDto> {
    const policySet = this.engine.policySet;
    const { roles } = await this.directory.user(userId, policySet.version);
    return { roles, permissions: policySet.permissionsOf(roles) };
  }

  private async policySetFor(minVersion: number | undefined): Promise<CompiledPolicySet> {
    if (minVersion === undefined) return this.engine.policySet;
    try {
      return await this.engine.atLeast(minVersion);
    } catch (error) {
      if (!(error instanceof PolicySetVersionUnavailableError)) throw error;
      throw new ProblemException(
        422,
        ErrorCode.PolicySetVersionUnavailable,
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
    const known = await this.knownSubject(request.subject, policySet.version);
    return this.decideFor(policySet, request, known, explain, { counted });
  }

  private decideFor(
    policySet: CompiledPolicySet,
    request: CheckRequestDto,
    known: KnownSubject,
    explain: boolean,
    { counted } = { counted: true },
  ): DecisionDto {
    const subject = subjectOf(request.subject, known);
    const decision = policySet.evaluate(
      {
        subject,
        action: request.action,
        resource: request.resource,
        context: request.context,
      },
      { explain },
    );
    const decisionId = randomUUID();
    if (counted) this.metrics.countDecision(decision.decision);
    if (counted && !decision.allowed) {
      this.logger.log(
        `Denied ${request.action} on ${request.resource.type} to a ${subject.type} ` +
          `(decision ${decisionId}, policy set ${policySet.version})`,
      );
    }
    return {
      allowed: decision.allowed,
      decision: decision.decision,
      decision_id: decisionId,
      policy_set_version: policySet.version,
      reasons: decision.reasons,
      ...(decision.diagnostics.length > 0 ? { diagnostics: decision.diagnostics } : {}),
      ...(explain ? { trace: decision.trace ?? [] } : {}),
    };
  }

  private knownSubject(input: CheckSubjectDto, version: number): Promise<KnownSubject> {
    if (input.type === 'service') return this.directory.service(input.id, version);
    return isUUID(input.id) ? this.directory.user(input.id, version) : Promise.resolve(NOBODY);
  }
}

const subjectKey = (subject: CheckSubjectDto) => `${subject.type}:${subject.id}`;

/** The subject as the engine sees it: what Gatehouse knows wins over what the caller says. */
function subjectOf(input: CheckSubjectDto, known: KnownSubject): AuthzSubject {
  // fromEntries and spread define properties (a `__proto__` key stays a plain key).
  const supplied =
    input.attributes &&
    Object.fromEntries(
      Object.entries(input.attributes).filter(
        ([key]) => !RESERVED_SUBJECT_KEYS[input.type].has(key),
      ),
    );
  return {
    type: input.type,
    id: input.id,
    roles: known.roles,
    attributes: { ...supplied, ...known.attributes },
  };
}
