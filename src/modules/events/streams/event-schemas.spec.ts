import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { eventMessage } from '../domain-event';
import { EVENT_TYPES } from '../event-catalogue';
import { eventSchemasDocument } from './event-schemas';

describe('eventSchemasDocument', () => {
  const document = eventSchemasDocument();
  const ajv = new Ajv2020({ strict: false });
  addFormats(ajv);

  it('describes every catalogue type once, sorted, with its version and description', () => {
    expect(document.events.map((e) => e.type)).toEqual([...EVENT_TYPES].sort());
    for (const event of document.events) {
      expect(event.version).toBeGreaterThanOrEqual(1);
      expect(event.description.length).toBeGreaterThan(0);
      expect(event.data_schema).toMatchObject({ type: 'object', additionalProperties: false });
    }
  });

  it('has an envelope schema that accepts what eventMessage writes and refuses strays', () => {
    const validate = ajv.compile(document.envelope);
    const message = eventMessage({
      id: '0190a000-0000-7000-8000-000000000001',
      type: 'user.deleted',
      schemaVersion: 1,
      occurredAt: new Date('2026-01-02T03:04:05.678Z'),
      actor: { type: 'user', id: '0190a000-0000-7000-8000-000000000002' },
      context: { requestId: 'r-1', ip: '10.0.0.1', userAgent: null },
      userId: '0190a000-0000-7000-8000-000000000002',
      data: { user_id: '0190a000-0000-7000-8000-000000000002' },
    });
    expect(validate(message)).toBe(true);
    expect(validate({ ...message, extra: 1 })).toBe(false);
    expect(validate({ ...message, timestamp: 'yesterday' })).toBe(false);
  });

  it('gives payload schemas that refuse what emitting refuses', () => {
    const schema = document.events.find((e) => e.type === 'user.session.revoked')!.data_schema;
    const validate = ajv.compile(schema);
    const payload = {
      user_id: '0190a000-0000-7000-8000-000000000002',
      session_ids: ['0190a000-0000-7000-8000-000000000003'],
      reason: 'logout',
      by_session_id: null,
    };
    expect(validate(payload)).toBe(true);
    expect(validate({ ...payload, session_ids: [] })).toBe(false);
    expect(validate({ ...payload, reason: 'bored' })).toBe(false);
    expect(validate({ ...payload, password: 'x' })).toBe(false);
  });
});
