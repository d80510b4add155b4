import { DomainError } from '../../../common/errors/domain-error';
import { ScimErrorCode } from '../../../common/errors/error-code';
import { AttributePath, pathName } from './scim-attribute-path';
import { CompareOperator } from './scim-filter-parser';
import { ComparedValue, comparedAttribute, ElementFilter, Filter } from './scim-filter';
import { AttributeDefinition } from './scim-schema';

/** A column that holds one single-valued attribute. */
export interface ColumnStorage {
  sql: string;
  /** `uuid`: compared as its lower-case text; `constant`: an SQL literal. */
  kind: 'text' | 'uuid' | 'boolean' | 'timestamptz' | 'constant';
}

/** A multi-valued attribute kept as rows: `from` is correlated to the resource's row. */
export interface RelationStorage {
  /** `FROM … WHERE …` (without SELECT), correlated to the outer row. */
  from: string;
  /** The SQL text value of each sub-attribute. */
  subs: Record<string, string>;
}

/**
 * Where a resource type's attributes live in its table: some in columns (the ones with
 * uniqueness rules and indexes), multi-valued ones kept elsewhere as rows, and everything else
 * in one JSONB document (keys as the representation names them, extensions under their URN).
 */
export interface ScimStorage {
  columns: Record<string, ColumnStorage>;
  relations: Record<string, RelationStorage>;
  document: string;
}

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** LIKE's wildcards and escape character stand for themselves. */
export function likeEscaped(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const ORDERING_SQL: Partial<Record<CompareOperator, string>> = {
  eq: '=',
  gt: '>',
  ge: '>=',
  lt: '<',
  le: '<=',
};

/**
 * Translates a bound filter into an SQL condition over one resource table (alias in the
 * storage's SQL), values as parameters. It reads as `matches` (scim-filter-evaluator.ts) does,
 * which the property test holds it to: no leaf is ever NULL (so `not` is plain negation), `ne` is the negation of `eq`, text under `caseExact: false` is compared lower-cased,
 * and ordering by code point (COLLATE "C"). Equality on `userName`, `externalId` and `id`, and
 * `sw` on `userName`, are served by the table's indexes.
 */
export class FilterSql {
  readonly params: unknown[] = [];

  constructor(
    private readonly storage: ScimStorage,
    private readonly firstParam = 1,
  ) {}

  param(value: unknown): string {
    this.params.push(value);
    return `$${this.firstParam + this.params.length - 1}`;
  }

  where(filter: Filter): string {
    switch (filter.op) {
      case 'and':
      case 'or':
        return `(${this.where(filter.left)} ${filter.op.toUpperCase()} ${this.where(filter.right)})`;
      case 'not':
        return `(NOT ${this.where(filter.filter)})`;
      case 'pr':
        return this.present(filter.path);
      case 'valuePath':
        this.assertStored(filter.path);
        return this.overElements(filter.path, (sub) => this.element(filter.filter, sub));
      default:
        return this.compare(filter.path, filter.op, filter.value);
    }
  }

  /** An expression to order by: single-valued attributes only. */
  orderBy(path: AttributePath): string {
    if (path.attribute.multiValued || (path.attribute.type === 'complex' && !path.sub)) {
      throw new DomainError(
        ScimErrorCode.InvalidValue,
        `sortBy: "${pathName(path)}" is not a single-valued attribute.`,
      );
    }
    this.assertStored(path);
    const definition = comparedAttribute(path);
    const expression = this.singleValue(path);
    if (definition.type === 'string' || definition.type === 'reference') {
      return `${definition.caseExact ? expression : `lower(${expression})`} COLLATE "C"`;
    }
    return expression;
  }

  /**
   * Read-only attributes that no column or relation holds (`meta.location`, `meta.version`) are
   * made up when a resource is shown: nothing stored to filter or sort by.
   */
  private assertStored(path: AttributePath): void {
    const relation = path.extension ? undefined : this.storage.relations[path.attribute.name];
    const stored =
      this.storage.columns[pathName(path)] !== undefined ||
      (relation !== undefined && (path.sub === null || path.sub.name in relation.subs));
    if (
      !stored &&
      (path.attribute.mutability === 'readOnly' || path.sub?.mutability === 'readOnly')
    ) {
      throw new DomainError(
        ScimErrorCode.InvalidFilter,
        `"${pathName(path)}" cannot be filtered or sorted by.`,
      );
    }
  }

  private compare(path: AttributePath, op: CompareOperator, value: ComparedValue): string {
    this.assertStored(path);
    if (value === null) {
      const present = this.present(path);
      return op === 'eq' ? `(NOT ${present})` : present;
    }
    if (op === 'ne') return `(NOT ${this.compare(path, 'eq', value)})`;
    const definition = comparedAttribute(path);
    const column = this.storage.columns[pathName(path)];
    if (column?.kind === 'uuid' && op === 'eq') {
      // Ids are lower-case text: the caseExact reading, and the primary key's index.
      return UUID.test(value as string) ? `(${column.sql} = ${this.param(value)}::uuid)` : 'FALSE';
    }
    if (path.attribute.multiValued) {
      return this.overElements(path, (sub) =>
        this.condition(sub(path.sub?.name ?? null), definition, op, value),
      );
    }
    return this.condition(this.singleValue(path), definition, op, value);
  }

  private present(path: AttributePath): string {
    this.assertStored(path);
    const column = this.storage.columns[pathName(path)];
    if (column) return column.kind === 'constant' ? 'TRUE' : `(${column.sql} IS NOT NULL)`;
    if (path.attribute.multiValued) {
      return this.overElements(path, (sub) =>
        path.sub ? `(${sub(path.sub.name)} IS NOT NULL)` : 'TRUE',
      );
    }
    return `(${this.jsonValue(path, path.sub === null && path.attribute.type === 'complex')} IS NOT NULL)`;
  }

  /**
   * `EXISTS` an element of a multi-valued attribute for which `condition` holds; `condition`
   * is given the text of each sub-attribute (null: the element itself, for simple values).
   */
  private overElements(
    path: AttributePath,
    condition: (sub: (name: string | null) => string) => string,
  ): string {
    const relation = !path.extension && this.storage.relations[path.attribute.name];
    if (relation) {
      const sub = (name: string | null) => relation.subs[name ?? 'value'] ?? 'NULL';
      return `EXISTS (SELECT 1 FROM ${relation.from} AND ${condition(sub)})`;
    }
    const array = this.jsonValue({ ...path, sub: null }, true);
    const sub = (name: string | null) =>
      name === null ? `(e.v #>> '{}')` : `(e.v ->> ${quote(name)})`;
    return `EXISTS (SELECT 1 FROM jsonb_array_elements(${array}) AS e(v) WHERE ${condition(sub)})`;
  }

  private element(filter: ElementFilter, sub: (name: string | null) => string): string {
    switch (filter.op) {
      case 'and':
      case 'or':
        return `(${this.element(filter.left, sub)} ${filter.op.toUpperCase()} ${this.element(filter.right, sub)})`;
      case 'not':
        return `(NOT ${this.element(filter.filter, sub)})`;
      case 'pr':
        return `(${sub(filter.sub.name)} IS NOT NULL)`;
      default: {
        const { op, value } = filter;
        const text = sub(filter.sub.name);
        if (value === null) return op === 'eq' ? `(${text} IS NULL)` : `(${text} IS NOT NULL)`;
        if (op === 'ne') return `(NOT ${this.condition(text, filter.sub, 'eq', value)})`;
        return this.condition(text, filter.sub, op, value);
      }
    }
  }

  /**
   * `op value` on one SQL text value of the attribute's type, never NULL: `AND text IS NOT NULL`
   * makes an absent value false (the value compared with is never null), and unlike `IS TRUE`
   * leaves the comparison one an index of the expression serves.
   */
  private condition(
    text: string,
    definition: AttributeDefinition,
    op: CompareOperator,
    value: string | boolean,
  ): string {
    const known = (comparison: string) => `(${comparison} AND ${text} IS NOT NULL)`;
    if (definition.type === 'boolean') {
      return known(`(${text})::boolean = ${this.param(value)}::boolean`);
    }
    if (definition.type === 'dateTime') {
      return known(`(${text})::timestamptz ${ORDERING_SQL[op]} ${this.param(value)}::timestamptz`);
    }
    // Typed: `lower` has range overloads too, which leave a bare parameter without a type.
    const given = (text: string) => `${this.param(text)}::text`;
    const folded = (sql: string) => (definition.caseExact ? sql : `lower(${sql})`);
    const stored = folded(text);
    const compared = value as string;
    switch (op) {
      case 'co':
        return known(`strpos(${stored}, ${folded(given(compared))}) > 0`);
      case 'sw':
        return known(`${stored} LIKE ${folded(given(`${likeEscaped(compared)}%`))}`);
      case 'ew':
        return known(`${stored} LIKE ${folded(given(`%${likeEscaped(compared)}`))}`);
      case 'eq':
        return known(`${stored} = ${folded(given(compared))}`);
      default:
        return known(`${stored} ${ORDERING_SQL[op]} ${folded(given(compared))} COLLATE "C"`);
    }
  }

  /** The SQL text of a single-valued attribute (or sub-attribute of a single-valued one). */
  private singleValue(path: AttributePath): string {
    const column = this.storage.columns[pathName(path)];
    if (!column) return this.jsonValue(path, false);
    switch (column.kind) {
      case 'uuid':
      case 'boolean':
        return `${column.sql}::text`;
      case 'timestamptz':
        return column.sql;
      default:
        return column.sql;
    }
  }

  private jsonValue(path: AttributePath, asJson: boolean): string {
    const keys = [path.extension, path.attribute.name, path.sub?.name].filter(
      (key): key is string => !!key,
    );
    const last = keys.pop()!;
    const head = keys.reduce((sql, key) => `${sql} -> ${quote(key)}`, this.storage.document);
    return `(${head} ${asJson ? '->' : '->>'} ${quote(last)})`;
  }
}
