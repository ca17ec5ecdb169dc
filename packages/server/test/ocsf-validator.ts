import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/**
 * Validates events against the published OCSF schema: the source files of
 * github.com/ocsf/ocsf-schema (dictionary, categories, event classes, objects, profiles), compiled
 * here into JSON Schema the way the OCSF server compiles them, then checked with ajv. The files are
 * third-party and not committed: `node scripts/vendor-ocsf-schema.mjs <checkout> <commit>` puts
 * them in test/ocsf-schema/ (or point OCSF_SCHEMA_DIR at a checkout).
 *
 * Compilation rules (ocsf-schema README, "metaschema"): a class inherits its parents' attributes
 * (`extends`, up to base_event), an object likewise (up to `object`); `$include` merges a profile's
 * attributes, kept only when the event lists that profile in `metadata.profiles`; an attribute's
 * type and array-ness come from the dictionary; enums of `_id` attributes are the union along the
 * chain and closed; `required` attributes are required; `at_least_one` / `just_one` constraints
 * hold; no attribute outside the class or object is allowed (`additionalProperties: false`), so a
 * misspelt or invented attribute fails, as in the OCSF server's JSON Schema export.
 */
export const OCSF_SCHEMA_DIR =
  process.env.OCSF_SCHEMA_DIR ?? fileURLToPath(new URL('../../test/ocsf-schema', import.meta.url));

export const ocsfSchemaAvailable = () => existsSync(join(OCSF_SCHEMA_DIR, 'dictionary.json'));

type Json = Record<string, unknown>;
interface SourceAttribute {
  type?: string;
  is_array?: boolean;
  requirement?: string;
  enum?: Record<string, unknown>;
}
interface SourceFile {
  name: string;
  uid?: number;
  category?: string;
  extends?: string;
  attributes: Record<string, SourceAttribute | string[]>;
  constraints?: { at_least_one?: string[]; just_one?: string[] };
}
/** An attribute after merging, with the profile it came from (undefined: the class itself). */
type Merged = SourceAttribute & { profile?: string | undefined };

export class OcsfValidator {
  readonly version: string;
  readonly #read = (path: string) =>
    JSON.parse(readFileSync(join(OCSF_SCHEMA_DIR, path), 'utf8')) as Json;
  readonly #dictionary: Record<string, SourceAttribute>;
  readonly #types: Record<string, Json>;
  readonly #categories: Record<string, { uid: number }>;
  /** Event classes by name, and by class_uid. */
  readonly #classes = new Map<string, SourceFile>();
  readonly #byUid = new Map<number, SourceFile>();
  readonly #compiled = new Map<string, ValidateFunction>();
  readonly #ajv = new Ajv({
    allErrors: true,
    strict: true,
    // A constraint may name an attribute that a profile not applied would add.
    strictRequired: false,
    unicodeRegExp: false,
  });

  constructor() {
    this.version = (this.#read('version.json') as { version: string }).version;
    const dictionary = this.#read('dictionary.json') as {
      attributes: Record<string, SourceAttribute>;
      types: { attributes: Record<string, Json> };
    };
    this.#dictionary = dictionary.attributes;
    this.#types = dictionary.types.attributes;
    this.#categories = (this.#read('categories.json') as { attributes: Json }).attributes as Record<
      string,
      { uid: number }
    >;
    const walk = (dir: string): string[] =>
      readdirSync(join(OCSF_SCHEMA_DIR, dir), { withFileTypes: true }).flatMap((d) =>
        d.isDirectory()
          ? walk(join(dir, d.name))
          : d.name.endsWith('.json')
            ? [join(dir, d.name)]
            : [],
      );
    for (const path of walk('events')) {
      const file = this.#read(path) as unknown as SourceFile;
      this.#classes.set(file.name, file);
    }
    for (const file of this.#classes.values()) {
      const uid = this.classUid(file);
      if (uid !== undefined) this.#byUid.set(uid, file);
    }
  }

  /** Every concrete event class present, by class_uid. */
  classUids(): number[] {
    return [...this.#byUid.keys()].sort((a, b) => a - b);
  }

  /** class_uid = category uid × 1000 + class uid (base_event: 0); undefined for abstract classes. */
  classUid(file: SourceFile): number | undefined {
    if (file.name === 'base_event') return 0;
    if (file.uid === undefined) return undefined;
    return this.#categoryUid(file) * 1000 + file.uid;
  }

  #categoryUid(file: SourceFile): number {
    let f: SourceFile | undefined = file;
    while (f && !f.category) f = f.extends ? this.#classes.get(f.extends) : undefined;
    const name = f?.category;
    return name && name !== 'other' ? (this.#categories[name]?.uid ?? 0) : 0;
  }

  /** Validates one event against its class (by `class_uid`) and the profiles it declares. */
  validate(event: unknown): { ok: true } | { ok: false; errors: string[] } {
    const e = event as { class_uid?: unknown; metadata?: { profiles?: unknown } };
    const file = typeof e?.class_uid === 'number' ? this.#byUid.get(e.class_uid) : undefined;
    if (!file) return { ok: false, errors: [`unknown class_uid ${String(e?.class_uid)}`] };
    const declared = e.metadata?.profiles;
    const profiles = Array.isArray(declared) ? declared.filter((p) => typeof p === 'string') : [];
    const key = `${file.name}|${[...profiles].sort().join(',')}`;
    let check = this.#compiled.get(key);
    if (!check) {
      check = this.#ajv.compile(this.classSchema(file, new Set(profiles)));
      this.#compiled.set(key, check);
    }
    if (check(event)) return { ok: true };
    return { ok: false, errors: (check.errors ?? []).map(describe) };
  }

  /** The compiled JSON Schema of a class (by class_uid) with the given profiles applied. */
  schemaFor(classUid: number, profiles: readonly string[]): Json {
    const file = this.#byUid.get(classUid);
    if (!file) throw new Error(`no class ${classUid}`);
    return this.classSchema(file, new Set(profiles));
  }

  /** Compiles a class's schema (a converter check: every class must compile). */
  compileClass(classUid: number, profiles: readonly string[]): void {
    const file = this.#byUid.get(classUid);
    if (!file) throw new Error(`no class ${classUid}`);
    this.#ajv.compile(this.classSchema(file, new Set(profiles)));
  }

  /** The JSON Schema of an event class with the given profiles applied. */
  classSchema(file: SourceFile, profiles: ReadonlySet<string>): Json {
    const chain: SourceFile[] = [];
    for (
      let f: SourceFile | undefined = file;
      f;
      f = f.extends ? this.#classes.get(f.extends) : undefined
    ) {
      chain.unshift(f);
    }
    const attributes = this.#merge(chain, profiles);
    const defs: Record<string, Json> = {};
    const schema = this.#objectSchema(attributes, chain, profiles, defs);
    const uid = this.classUid(file) ?? 0;
    const properties = schema.properties as Record<string, Json>;
    // The classification the class itself fixes (ocsf-schema dictionary: class_uid, type_uid).
    properties.class_uid = { const: uid };
    properties.category_uid = { const: this.#categoryUid(file) };
    const activities = Object.keys(attributes.activity_id?.enum ?? {}).map(Number);
    properties.type_uid = { enum: activities.map((a) => uid * 100 + a) };
    return { ...schema, $defs: defs };
  }

  /** Attributes along a class or object chain, `$include`d profiles expanded and filtered. */
  #merge(chain: readonly SourceFile[], profiles: ReadonlySet<string>): Record<string, Merged> {
    const out: Record<string, Merged> = {};
    const add = (name: string, attr: SourceAttribute, profile: string | undefined) => {
      const before = out[name];
      // `"profile": null` in a class (iam's actor) makes a profile's attribute its own.
      const owner = 'profile' in attr ? undefined : (before?.profile ?? profile);
      const merged: Merged = { ...before, ...attr, profile: owner };
      if (before?.enum || attr.enum) merged.enum = { ...before?.enum, ...attr.enum };
      out[name] = merged;
    };
    for (const file of chain) {
      for (const [name, value] of Object.entries(file.attributes)) {
        if (name === '$include') {
          for (const path of value as string[]) {
            const included = this.#read(path) as unknown as SourceFile & { meta?: string };
            const profile = included.meta === 'profile' ? included.name : undefined;
            for (const [n, a] of Object.entries(included.attributes)) {
              add(n, a as SourceAttribute, profile);
            }
          }
        } else {
          add(name, value as SourceAttribute, undefined);
        }
      }
    }
    for (const [name, attr] of Object.entries(out)) {
      if (attr.profile !== undefined && !profiles.has(attr.profile)) delete out[name];
    }
    return out;
  }

  #objectSchema(
    attributes: Record<string, Merged>,
    chain: readonly SourceFile[],
    profiles: ReadonlySet<string>,
    defs: Record<string, Json>,
  ): Json {
    const properties: Record<string, Json> = {};
    const required: string[] = [];
    for (const [name, attr] of Object.entries(attributes)) {
      const dict = this.#dictionary[name];
      if (!dict) throw new Error(`attribute ${name} is not in the OCSF dictionary`);
      const type = attr.type ?? dict.type ?? 'string_t';
      const enumValues = { ...dict.enum, ...attr.enum };
      let item = this.#typeSchema(type, profiles, defs);
      if (Object.keys(enumValues).length > 0 && type.endsWith('_t')) {
        const numeric = type === 'integer_t' || type === 'long_t';
        item = { ...item, enum: Object.keys(enumValues).map((k) => (numeric ? Number(k) : k)) };
      }
      properties[name] = (attr.is_array ?? dict.is_array) ? { type: 'array', items: item } : item;
      if (attr.requirement === 'required') required.push(name);
    }
    const schema: Json = { type: 'object', properties, additionalProperties: false };
    if (required.length > 0) schema.required = required;
    const constraints = chain.reduce<SourceFile['constraints']>(
      (c, f) => ({ ...c, ...f.constraints }),
      {},
    );
    const present = (names: string[]) => names.filter((n) => n in properties);
    const alternatives = (names: string[]) => present(names).map((n) => ({ required: [n] }));
    const atLeastOne = alternatives(constraints?.at_least_one ?? []);
    const justOne = alternatives(constraints?.just_one ?? []);
    if (atLeastOne.length > 0) schema.anyOf = atLeastOne;
    if (justOne.length > 0) schema.oneOf = justOne;
    return schema;
  }

  /** A dictionary type (`string_t`, `ip_t`, …) or an object, by reference into `defs`. */
  #typeSchema(type: string, profiles: ReadonlySet<string>, defs: Record<string, Json>): Json {
    switch (type) {
      case 'string_t':
        return { type: 'string' };
      case 'integer_t':
      case 'long_t':
        return { type: 'integer' };
      case 'float_t':
        return { type: 'number' };
      case 'boolean_t':
        return { type: 'boolean' };
      case 'json_t':
        return {};
      case 'object':
        return { type: 'object' };
    }
    const derived = this.#types[type];
    if (derived) {
      const base = this.#typeSchema(String(derived.type), profiles, defs);
      const s: Json = { ...base };
      if (typeof derived.regex === 'string') s.pattern = derived.regex;
      if (typeof derived.max_len === 'number') s.maxLength = derived.max_len;
      if (Array.isArray(derived.range)) [s.minimum, s.maximum] = derived.range as number[];
      if (Array.isArray(derived.values)) s.enum = derived.values;
      return s;
    }
    if (!(type in defs)) {
      defs[type] = {}; // placeholder: objects refer to each other (process → parent_process)
      const chain: SourceFile[] = [];
      for (let name: string | undefined = type; name && name !== 'object';) {
        const file = this.#read(join('objects', `${name}.json`)) as unknown as SourceFile;
        chain.unshift(file);
        name = file.extends;
      }
      defs[type] = this.#objectSchema(this.#merge(chain, profiles), chain, profiles, defs);
    }
    return { $ref: `#/$defs/${type}` };
  }
}

function describe(e: ErrorObject): string {
  return `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`;
}
