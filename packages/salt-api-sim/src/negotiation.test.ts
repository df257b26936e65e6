import { describe, expect, it } from 'vitest';
import { HttpError } from './errors.js';
import { lowdataFmt, negotiate, parseBody } from './negotiation.js';

const body = (s: string) => Buffer.from(s);

describe('request bodies (hypermedia_in, lowdata_fmt)', () => {
  it('parses JSON, form (repeated keys become lists), YAML and JSON sent as text/plain', () => {
    expect(parseBody('10', 'application/json; charset=utf-8', body('[{"a":1}]'))).toEqual([{ a: 1 }]);
    expect(parseBody('10', 'application/x-www-form-urlencoded', body('client=local&arg=a&arg=b+c'))).toEqual({ client: 'local', arg: ['a', 'b c'] });
    expect(parseBody('10', 'application/x-yaml', body('- fun: test.ping\n  up: yes\n'))).toEqual([{ fun: 'test.ping', up: true }]);
    expect(parseBody('10', 'text/plain', body('{"a": 1}'))).toEqual({ a: 1 });
    expect(parseBody('10', 'text/plain', body('not json'))).toBe('not json');
  });

  it('ignores the body without a Content-Length, and refuses unknown or missing types with 406', () => {
    expect(parseBody(undefined, 'application/json', body('[1]'))).toBeUndefined();
    expect(parseBody('0', 'application/json', body(''))).toBeUndefined();
    expect(() => parseBody('3', undefined, body('[1]'))).toThrow(HttpError);
    expect(() => parseBody('3', 'application/xml', body('<a/>'))).toThrow('Content type not supported');
    expect(() => parseBody('3', 'application/json', body('[{'))).toThrow('Invalid JSON document');
  });

  it('wraps a single dict into a lowstate and makes arg a list', () => {
    expect(lowdataFmt({ client: 'local', arg: 'id' })).toEqual([{ client: 'local', arg: ['id'] }]);
    expect(lowdataFmt({})).toEqual({});
    expect(lowdataFmt([{ a: 1 }])).toEqual([{ a: 1 }]);
  });
});

describe('Accept negotiation (cptools.accept)', () => {
  it('defaults to JSON, honours q, wildcards and YAML', () => {
    expect(negotiate(undefined)).toBe('application/json');
    expect(negotiate('*/*')).toBe('application/json');
    expect(negotiate('application/*')).toBe('application/json');
    expect(negotiate('application/x-yaml')).toBe('application/x-yaml');
    expect(negotiate('application/json;q=0.5, application/x-yaml')).toBe('application/x-yaml');
  });

  it('breaks q ties in reverse alphabetical order, as CherryPy sorts', () => {
    expect(negotiate('application/json, application/x-yaml')).toBe('application/x-yaml');
  });

  it('answers 406 with the Accept header in the message', () => {
    expect(() => negotiate('text/plain')).toThrow(
      'Your client sent this Accept header: text/plain. But this resource only emits these media types: application/json, application/x-yaml.',
    );
  });
});
