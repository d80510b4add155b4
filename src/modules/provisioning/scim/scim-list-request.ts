import { DomainError } from '../../../common/errors/domain-error';
import { ScimErrorCode } from '../../../common/errors/error-code';
import { SEARCH_REQUEST_SCHEMA } from './scim-schema';

/** A list or search of resources (RFC 7644 §3.4.2, §3.4.3). */
export interface ListRequest {
  filter: string | null;
  sortBy: string | null;
  descending: boolean;
  /** 1-based. */
  startIndex: number;
  count: number;
  attributes: string[] | null;
  excludedAttributes: string[] | null;
}

/** The page size when the client names none. */
export const DEFAULT_PAGE_SIZE = 100;

const PARAMETERS = [
  'filter',
  'sortBy',
  'sortOrder',
  'startIndex',
  'count',
  'attributes',
  'excludedAttributes',
];

const invalid = (detail: string) => new DomainError(ScimErrorCode.InvalidValue, detail);

function integer(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^-?\d{1,9}$/.test(text))
    throw invalid(`"${name}" must be an integer.`);
  return Number(text);
}

function text(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`"${name}" must be a string.`);
  return value;
}

function names(value: unknown, name: string): string[] | null {
  if (value === undefined) return null;
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : null;
  if (!list || !list.every((item) => typeof item === 'string')) {
    throw invalid(`"${name}" must be a list of attribute names.`);
  }
  return list.map((item) => item.trim()).filter((item) => item !== '');
}

/**
 * Reads the parameters of a list (query string) or a search (`POST /.search` body), both in
 * one shape: `startIndex` below 1 counts as 1, `count` below 0 as 0 and above the page limit as
 * the limit (RFC 7644 §3.4.2.4); an unknown parameter, or a repeated one, is a 400.
 */
function readParameters(parameters: Record<string, unknown>, maxPageSize: number): ListRequest {
  for (const [key, value] of Object.entries(parameters)) {
    if (!PARAMETERS.includes(key)) throw invalid(`"${key}" is not a parameter of a list.`);
    if (Array.isArray(value) && key !== 'attributes' && key !== 'excludedAttributes') {
      throw invalid(`"${key}" is given more than once.`);
    }
  }
  const order = text(parameters.sortOrder, 'sortOrder')?.toLowerCase() ?? 'ascending';
  if (order !== 'ascending' && order !== 'descending') {
    throw invalid('"sortOrder" must be ascending or descending.');
  }
  const count = integer(parameters.count, 'count') ?? Math.min(DEFAULT_PAGE_SIZE, maxPageSize);
  return {
    filter: text(parameters.filter, 'filter') ?? null,
    sortBy: text(parameters.sortBy, 'sortBy') ?? null,
    descending: order === 'descending',
    startIndex: Math.max(1, integer(parameters.startIndex, 'startIndex') ?? 1),
    count: Math.min(Math.max(0, count), maxPageSize),
    attributes: names(parameters.attributes, 'attributes'),
    excludedAttributes: names(parameters.excludedAttributes, 'excludedAttributes'),
  };
}

export function readListQuery(query: Record<string, unknown>, maxPageSize: number): ListRequest {
  return readParameters(query, maxPageSize);
}

export function readSearchRequest(body: unknown, maxPageSize: number): ListRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DomainError(ScimErrorCode.InvalidSyntax, 'The body must be a JSON object.');
  }
  const { schemas, ...parameters } = body as Record<string, unknown>;
  if (
    !Array.isArray(schemas) ||
    !schemas.some((s) => String(s).toLowerCase() === SEARCH_REQUEST_SCHEMA.toLowerCase())
  ) {
    throw new DomainError(
      ScimErrorCode.InvalidSyntax,
      `"schemas" must be ["${SEARCH_REQUEST_SCHEMA}"].`,
    );
  }
  return readParameters(parameters, maxPageSize);
}
