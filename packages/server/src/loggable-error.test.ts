import { LatchError } from '@latch/core';
import { describe, expect, it } from 'vitest';
import { describeError, loggableError } from './loggable-error.js';

// The shapes thrown by Drizzle around node-postgres and PGlite errors.
class DrizzleQueryError extends Error {
  constructor(
    readonly query: string,
    readonly params: unknown[],
    override readonly cause: unknown,
  ) {
    super(`Failed query: ${query}\nparams: ${params.join(',')}`);
  }
}
const pgError = () =>
  Object.assign(new Error('duplicate key value violates unique constraint "users_email_key"'), {
    code: '23505',
    severity: 'ERROR',
    detail: 'Key (email)=(jane@customer.example) already exists.',
    constraint: 'users_email_key',
    table: 'users',
  });

describe('loggableError', () => {
  it('describes a failed query without its parameters or the database’s quoting of them', () => {
    const error = new DrizzleQueryError('insert into "users" ("email", "password_hash") values ($1, $2)', ['jane@customer.example', '$argon2id$secret'], pgError());
    const logged = loggableError(error);
    expect(logged).toMatchObject({ type: 'DrizzleQueryError', code: '23505', query: 'insert into "users" ("email", "password_hash") values ($1, $2)', constraint: 'users_email_key', table: 'users' });
    expect(logged.message).toBeUndefined();
    const text = JSON.stringify(logged) + describeError(error);
    expect(text).not.toContain('jane@');
    expect(text).not.toContain('argon2id');
    expect(describeError(error)).toBe('DrizzleQueryError 23505: failed query: insert into "users" ("email", "password_hash") values ($1, $2)');
  });

  it('drops the message of a bare database error too', () => {
    expect(loggableError(pgError())).not.toHaveProperty('message');
  });

  it('keeps the message and code of other errors, and stack frames only', () => {
    expect(loggableError(new LatchError('NOT_FOUND', 'Case not found'))).toMatchObject({ type: 'LatchError', code: 'NOT_FOUND', message: 'Case not found' });
    const network = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(describeError(network)).toBe('Error ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:5432');
    expect(loggableError(network).stack).toMatch(/^\s+at /);
    expect(loggableError('thrown text')).toEqual({ type: 'string', message: 'thrown text' });
  });
});
