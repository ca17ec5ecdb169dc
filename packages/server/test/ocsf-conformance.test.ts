import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AUTHENTICATION,
  BASE_EVENT,
  ENTITY_MANAGEMENT,
  USER_ACCESS_MANAGEMENT,
} from '../src/audit/ocsf-classes.js';
import { conformanceSchema, type Json } from './ocsf-conformance.js';
import { OcsfValidator, ocsfSchemaAvailable } from './ocsf-validator.js';

/** Our class definitions (by name in the conformance schema) and the export's class table. */
const CLASSES = [
  ['base_event', BASE_EVENT],
  ['authentication', AUTHENTICATION],
  ['entity_management', ENTITY_MANAGEMENT],
  ['user_access', USER_ACCESS_MANAGEMENT],
] as const;

const definitions = conformanceSchema.definitions as Record<string, Json>;
/** Follows local `$ref`s (`#/definitions/x` in ours, `#/$defs/x` in the compiled upstream). */
const resolve = (node: Json, root: Json): Json => {
  let n = node;
  while (typeof n.$ref === 'string') {
    const [, group, name] = n.$ref.split('/') as [string, string, string];
    n = (root[group] as Record<string, Json>)[name]!;
  }
  return n;
};
/** A node's own properties and those its allOf / anyOf / then branches constrain. */
function gather(node: Json, root: Json) {
  const props = new Map<string, Json[]>();
  const required = new Set<string>();
  const n = resolve(node, root);
  for (const [name, s] of Object.entries((n.properties ?? {}) as Record<string, Json>)) {
    props.set(name, [...(props.get(name) ?? []), s]);
  }
  // Only unconditional requirements count (a `then` or an anyOf branch may not apply).
  for (const r of (n.required ?? []) as string[]) required.add(r);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    for (const branch of (n[key] ?? []) as Json[]) {
      const sub = gather(branch, root);
      for (const [name, list] of sub.props) props.set(name, [...(props.get(name) ?? []), ...list]);
      if (key === 'allOf') for (const r of sub.required) required.add(r);
    }
  }
  if (n.then) {
    for (const [name, list] of gather(n.then as Json, root).props) {
      props.set(name, [...(props.get(name) ?? []), ...list]);
    }
  }
  return { props, required };
}
const values = (s: Json): unknown[] | undefined =>
  'const' in s ? [s.const] : Array.isArray(s.enum) ? s.enum : undefined;

/**
 * Checks that our schema node is a faithful subset of the upstream one: every attribute we allow
 * exists upstream, every enum or constant value we accept is one upstream accepts, our types are
 * upstream's, every attribute upstream requires we require; recursively into objects.
 */
function subset(ours: Json, upstream: Json, upstreamRoot: Json, path: string, problems: string[]) {
  const up = resolve(upstream, upstreamRoot);
  const upProps = (up.properties ?? {}) as Record<string, Json>;
  const { props, required } = gather(ours, conformanceSchema);
  for (const r of (up.required ?? []) as string[]) {
    if (!required.has(r)) problems.push(`${path}.${r}: required upstream, not here`);
  }
  for (const [name, list] of props) {
    const at = `${path}.${name}`;
    if (!(name in upProps)) {
      problems.push(`${at}: not an attribute upstream`);
      continue;
    }
    const upAttr = resolve(upProps[name], upstreamRoot);
    const upValues = values(upAttr) ?? (upAttr.items ? values(upAttr.items as Json) : undefined);
    for (const s0 of list) {
      const s = resolve(s0, conformanceSchema);
      const accepted = values(s) ?? (s.items ? values(s.items as Json) : undefined);
      for (const v of accepted ?? []) {
        if (upValues && !upValues.includes(v)) problems.push(`${at}: ${String(v)} not in upstream`);
      }
      const upType = upAttr.type ?? (upAttr.$ref || upAttr.properties ? 'object' : undefined);
      if (s.type && upType && s.type !== upType) {
        problems.push(
          `${at}: type ${JSON.stringify(s.type)} here, ${JSON.stringify(upType)} upstream`,
        );
      }
      const sItems = s.items ? resolve(s.items as Json, conformanceSchema) : undefined;
      const upItems = upAttr.items ? resolve(upAttr.items as Json, upstreamRoot) : undefined;
      if (sItems?.type && upItems?.type && sItems.type !== upItems.type) {
        problems.push(
          `${at}[]: type ${JSON.stringify(sItems.type)} here, ${JSON.stringify(upItems.type)} upstream`,
        );
      }
    }
    // Into an object: all that constrains it here, at once (upstream `unmapped` is free-form).
    if (upAttr.properties) subset({ allOf: list }, upAttr, upstreamRoot, at, problems);
  }
}

describe('OCSF 1.9 conformance schema (test/ocsf-conformance/)', () => {
  test('defines exactly the classes the export emits, each closed', () => {
    const dispatch = (conformanceSchema.properties as Record<string, Json>).class_uid;
    assert.deepEqual(
      [...(dispatch.enum as number[])].sort((a, b) => a - b),
      CLASSES.map(([, c]) => c.class_uid).sort((a, b) => a - b),
    );
    for (const [name, cls] of CLASSES) {
      const def = definitions[name];
      assert.equal(def.additionalProperties, false, name);
      const { props } = gather(def, conformanceSchema);
      assert.deepEqual(values(props.get('class_uid')![0]), [cls.class_uid], name);
      const activities = Object.keys(cls.activities).map(Number);
      assert.deepEqual(values(props.get('activity_id')![0]), activities, name);
      assert.deepEqual(
        values(props.get('type_uid')![0]),
        activities.map((a) => cls.class_uid * 100 + a),
        `${name}: type_uid = class_uid × 100 + activity_id`,
      );
    }
  });

  test(
    'OCSF 1.9: every attribute, enum value, type and requirement it encodes agrees with the published schema',
    {
      skip: ocsfSchemaAvailable()
        ? false
        : 'full OCSF schema not present: run scripts/vendor-ocsf-schema.mjs (docs/ocsf.md)',
    },
    () => {
      const upstream = new OcsfValidator();
      const problems: string[] = [];
      for (const [name, cls] of CLASSES) {
        const schema = upstream.schemaFor(cls.class_uid, cls.profiles);
        subset(definitions[name], schema, schema, name, problems);
      }
      assert.deepEqual(problems, []);
      // The checker itself can fail: an invented attribute and a foreign enum value are caught.
      const schema = upstream.schemaFor(3004, ENTITY_MANAGEMENT.profiles);
      const forged: string[] = [];
      subset(
        {
          type: 'object',
          required: ['entity'],
          properties: { approvers: { type: 'array' }, disposition_id: { enum: [1, 123] } },
        },
        schema,
        schema,
        'forged',
        forged,
      );
      assert.ok(
        forged.some((p) => p.includes('approvers: not an attribute upstream')),
        forged.join(),
      );
      assert.ok(
        forged.some((p) => p.includes('123 not in upstream')),
        forged.join(),
      );
      assert.ok(
        forged.some((p) => p.includes('time: required upstream')),
        forged.join(),
      );
    },
  );
});
