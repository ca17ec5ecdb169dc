import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { Type, type TSchema } from 'typebox';
import { schemaErrorsOf } from './schema-errors.js';

// Real ajv errors, with the options app.ts compiles request schemas with.
function errorsFor(schema: TSchema, value: unknown) {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  assert.equal(validate(value), false);
  return schemaErrorsOf(validate.errors ?? [], 'body');
}

const Risk = Type.Union([Type.Literal('low'), Type.Literal('high')]);

test('a union of literals is one line naming the values', () => {
  assert.deepEqual(errorsFor(Type.Object({ risk: Risk }), { risk: 'x' }), [
    { path: 'body/risk', message: 'must be one of low, high' },
  ]);
});

test('a nullable union of literals names null too, once', () => {
  const schema = Type.Object({ risk: Type.Union([Risk, Type.Null()]) });
  assert.deepEqual(errorsFor(schema, { risk: 3 }), [
    { path: 'body/risk', message: 'must be one of low, high, null' },
  ]);
});

test('an enum names its values', () => {
  const schema = Type.Object({ vote: Type.Unsafe<string>({ enum: ['approve', 'deny'] }) });
  assert.deepEqual(errorsFor(schema, { vote: 'maybe' }), [
    { path: 'body/vote', message: 'must be one of approve, deny' },
  ]);
});

test('a union of shapes keeps its branches’ own errors', () => {
  const schema = Type.Object({ x: Type.Union([Type.String(), Type.Integer()]) });
  const lines = errorsFor(schema, { x: 1.5 });
  assert.ok(lines.some((l) => l.message === 'must be string'));
  assert.ok(lines.some((l) => l.message === 'must match a schema in anyOf'));
});
