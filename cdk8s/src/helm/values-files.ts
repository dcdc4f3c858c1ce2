import { Document, type Pair, type YAMLMap, isMap } from 'yaml';
import type { Json } from './snapshot.js';
import type { ValueConstraint } from './validation.js';
import type { ValueNode, ValueObject } from './values-model.js';

/** What the chart knows about one value beyond its TypeScript type. */
export interface ValueFacts {
  /** The construct's default; undefined when the value is unset by default. */
  readonly default: Json | undefined;
  readonly constraint: ValueConstraint;
}

const keyOf = (node: ValueNode): string => node.path.join('.');
const nameOf = (node: ValueNode): string => node.path[node.path.length - 1]!;

/**
 * The values tree with every known default. Objects are present (templates read through them)
 * unless they are optional and hold no default at all: such an object is given or not as a whole.
 */
export function defaultValues(node: ValueObject, facts: (key: string) => ValueFacts): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const child of node.children) {
    if (child.kind === 'object') {
      const inner = defaultValues(child, facts);
      if (!child.optional || Object.keys(inner).length > 0) out[nameOf(child)] = inner;
    } else {
      const d = facts(keyOf(child)).default;
      if (d !== undefined) out[nameOf(child)] = d;
    }
  }
  return out;
}

function describe(node: ValueNode, facts: (key: string) => ValueFacts): string {
  const lines: string[] = [];
  if (node.description) lines.push(node.description);
  if (node.kind === 'leaf') {
    const rule = facts(keyOf(node)).constraint.summary;
    if (rule) lines.push(rule);
    if (facts(keyOf(node)).default === undefined) lines.push(`Unset by default${node.defaultDoc ? `: ${node.defaultDoc}` : ''}.`);
  }
  return lines.map((l) => ` ${l}`).join('\n');
}

/**
 * values.yaml: every value with its default and its documentation as comments; values that are
 * unset by default are commented out.
 */
export function valuesYaml(model: ValueObject, facts: (key: string) => ValueFacts, header: string): string {
  const doc = new Document(defaultValues(model, facts));
  doc.commentBefore = header;
  annotate(doc.contents as YAMLMap, model, facts);
  return doc.toString({ lineWidth: 0 });
}

function annotate(map: YAMLMap, node: ValueObject, facts: (key: string) => ValueFacts): void {
  let pending: string[] = [];
  for (const child of node.children) {
    const text = describe(child, facts);
    const pair = map.items.find((p) => (p.key as { value?: unknown }).value === nameOf(child)) as Pair | undefined;
    if (!pair) {
      const unset = child.kind === 'object' ? `${text ? `${text}\n` : ''} Unset by default${child.defaultDoc ? `: ${child.defaultDoc}` : ''}.` : text;
      pending.push(...(unset ? [unset] : []), ...example(child).map((l) => ` ${l}`));
      continue;
    }
    const before = [...pending, ...(text ? [text] : [])].join('\n');
    pending = [];
    if (before) (pair.key as { commentBefore?: string }).commentBefore = before;
    if (child.kind === 'object' && isMap(pair.value)) annotate(pair.value, child, facts);
  }
  if (pending.length > 0) map.comment = pending.join('\n');
}

/** How an unset value would be written: its name and a placeholder of its type, objects in full. */
function example(node: ValueNode): string[] {
  if (node.kind === 'leaf') return [`${nameOf(node)}: ${node.type === 'string' ? '""' : '~'}`];
  return [`${nameOf(node)}:`, ...node.children.flatMap(example).map((l) => `  ${l}`)];
}

/** values.schema.json: types, enums, ranges and descriptions; no property that is not a value. */
export function valuesSchema(model: ValueObject, facts: (key: string) => ValueFacts): Record<string, unknown> {
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...schemaOf(model, facts) };
}

function schemaOf(node: ValueNode, facts: (key: string) => ValueFacts): Record<string, unknown> {
  const description = node.description ? { description: node.description } : {};
  if (node.kind === 'object') {
    const required = node.children.filter((c) => !c.optional).map(nameOf);
    return {
      type: 'object',
      ...description,
      additionalProperties: false,
      ...(required.length > 0 ? { required } : {}),
      properties: Object.fromEntries(node.children.map((c) => [nameOf(c), schemaOf(c, facts)])),
    };
  }
  const f = facts(keyOf(node));
  const type = node.type === 'number' && f.constraint.integer ? 'integer' : node.type;
  return {
    type,
    ...description,
    ...(node.enum ? { enum: node.enum } : {}),
    ...(f.default !== undefined ? { default: f.default } : {}),
    ...f.constraint.schema,
  };
}
