import { JobRequest, MAX_JOB_TARGETS } from '@act2/shared';
import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { jobRequestValidator, plainMinionsTarget } from './request-validator.js';

type Validate = (data: unknown) => { value?: unknown; error?: unknown };
const route = { schema: JobRequest, method: 'POST', url: '/api/v1/jobs', httpPart: 'body' } as const;
const quick = jobRequestValidator(route) as Validate;
const full = (validatorCompiler as FastifySchemaCompiler<unknown>)(route) as Validate;

const many = (n: number) => Array.from({ length: n }, (_, i) => `m-${i}`);
const bodies: Record<string, unknown> = {
  plain: { target: { minions: ['m-1', 'm-2'] }, fun: 'test.ping' },
  'every field': { target: { minions: ['m-1'] }, fun: 'cmd.run', arg: ['ls'], kwarg: { cwd: '/' }, timeout_s: 10 },
  duplicates: { target: { minions: ['m-1', 'm-1'] }, fun: 'test.ping' },
  'at the limit': { target: { minions: many(MAX_JOB_TARGETS) }, fun: 'test.ping' },
  'too many': { target: { minions: many(MAX_JOB_TARGETS + 1) }, fun: 'test.ping' },
  empty: { target: { minions: [] }, fun: 'test.ping' },
  'sn of 255': { target: { minions: ['x'.repeat(255)] }, fun: 'test.ping' },
  'sn too long': { target: { minions: ['x'.repeat(256)] }, fun: 'test.ping' },
  'empty sn': { target: { minions: [''] }, fun: 'test.ping' },
  'sn to trim': { target: { minions: [' m-1 '] }, fun: 'test.ping' },
  'blank sn': { target: { minions: ['   '] }, fun: 'test.ping' },
  'sn with a control character': { target: { minions: ['m\u00001'] }, fun: 'test.ping' },
  'sn not ASCII': { target: { minions: ['é'] }, fun: 'test.ping' },
  'lone surrogate': { target: { minions: ['\ud800'] }, fun: 'test.ping' },
  'non-string sn': { target: { minions: ['m-1', 42] }, fun: 'test.ping' },
  'null sn': { target: { minions: [null] }, fun: 'test.ping' },
  // eslint-disable-next-line no-sparse-arrays
  hole: { target: { minions: ['m-1', , 'm-2'] }, fun: 'test.ping' },
  'minions not a list': { target: { minions: 'm-1' }, fun: 'test.ping' },
  ips: { target: { ips: ['10.0.0.1'] }, fun: 'test.ping' },
  'ips and minions': { target: { minions: ['m-1'], ips: ['10.0.0.1'] }, fun: 'test.ping' },
  'extra key in target': { target: { minions: ['m-1'], other: 1 }, fun: 'test.ping' },
  'extra key in the body': { target: { minions: ['m-1'] }, fun: 'test.ping', other: 1 },
  'no target': { fun: 'test.ping' },
  'no fun': { target: { minions: ['m-1'] } },
  'bad fun': { target: { minions: ['m-1'] }, fun: 'ping' },
  'bad timeout': { target: { minions: ['m-1'] }, fun: 'test.ping', timeout_s: 0 },
  'bad kwarg': { target: { minions: ['m-1'] }, fun: 'test.ping', kwarg: [] },
  'an array': [{ target: { minions: ['m-1'] }, fun: 'test.ping' }],
  null: null,
  'a string': 'x',
};

describe('the POST /api/v1/jobs body validator', () => {
  it.each(Object.entries(bodies))('decides as JobRequest does, with the same value or errors: %s', (_, body) => {
    expect(quick(body)).toEqual(full(body));
  });

  it('checks by hand only the lists of plain sns', () => {
    expect(plainMinionsTarget({ minions: ['m-1', 'm-1', 'x'.repeat(255)] })).toBe(true);
    const others = [{ minions: [] }, { minions: [' m-1'] }, { minions: ['é'] }, { minions: ['m-1'], other: 1 }, { ips: ['10.0.0.1'] }, { minions: many(MAX_JOB_TARGETS + 1) }];
    expect(others.map(plainMinionsTarget)).toEqual(Array(others.length).fill(false));
  });
});
