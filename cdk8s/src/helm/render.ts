import { Document, Scalar as YamlScalar } from 'yaml';
import type { Cond, Part, TNode, TObject } from './template-model.js';

/** How a value is typed in the chart's values, which decides how templates format it. */
export type ValueType = 'string' | 'integer' | 'number' | 'boolean';

const TOKEN = /__c4a([TEI])(\d+)__/g;
const SECRET = '$existing';

/** A value's expression: `$.Values.a.b`, integers through int64 so they never print as 1e+06. */
function valueExpr(part: Extract<Part, { kind: 'value' }>, typeOf: (leaf: string) => ValueType): string {
  const ref = `$.Values.${part.leaf}`;
  if (typeOf(part.leaf) !== 'integer') return ref;
  const scaled = part.mul === undefined ? `(int64 ${ref})` : `(mul (int64 ${ref}) ${part.mul})`;
  return part.add === undefined ? scaled : `(add ${scaled} ${part.add})`;
}

function verbOf(part: Part, typeOf: (leaf: string) => ValueType): string {
  return part.kind === 'index' || (part.kind === 'value' && typeOf(part.leaf) === 'integer') ? '%d' : '%v';
}

/** A Go template string literal. */
const literal = (text: string): string => JSON.stringify(text);

/** `printf` of parts (text, values, the list index) as one expression. */
function printfExpr(parts: readonly Part[], typeOf: (leaf: string) => ValueType): string {
  const values = parts.filter((p) => p.kind !== 'text');
  if (parts.length === 1 && parts[0]!.kind === 'value' && typeOf(parts[0]!.leaf) === 'string') return valueExpr(parts[0]!, typeOf);
  const format = parts.map((p) => (p.kind === 'text' ? p.text.replace(/%/g, '%%') : verbOf(p, typeOf))).join('');
  const args = values.map((p) => (p.kind === 'index' ? '$i' : valueExpr(p as Extract<Part, { kind: 'value' }>, typeOf)));
  return `printf ${literal(format)}${args.map((a) => ` ${a}`).join('')}`;
}

/** Escapes `{{` in literal text so Helm prints it as is. */
const escapeText = (text: string): string => text.replace(/\{\{/g, '{{ "{{" }}');

export function condExpr(cond: Cond): string {
  switch (cond.kind) {
    case 'truthy':
      return `$.Values.${cond.leaf}`;
    case 'eq':
      return `eq (toString $.Values.${cond.leaf}) ${literal(cond.value)}`;
    case 'not':
      return `not (${condExpr(cond.cond)})`;
    case 'and':
      return `and ${cond.conds.map((c) => `(${condExpr(c)})`).join(' ')}`;
  }
}

/**
 * Renders templates as Helm template text. The structure is emitted by the yaml library; every
 * template site is first a token (`__c4aT1__` for a scalar, `__c4aE1__` for a conditional map entry,
 * `__c4aI1__` for a conditional list item), then replaced by its template text.
 */
export class TemplateRenderer {
  private readonly pending = new Map<string, () => string>();
  private next = 0;

  constructor(private readonly typeOf: (leaf: string) => ValueType) {}

  /** One manifest: a `---` document, under `{{- if }}` when conditional. */
  object(object: TObject): string {
    const lines: string[] = [];
    if (object.keepsValuesOf) lines.push(`{{- ${SECRET} := lookup "v1" "Secret" $.Release.Namespace (${this.expr(object.keepsValuesOf)}) | default dict }}`);
    const body = `---\n${this.yaml(object.node)}`;
    if (!object.when) return [...lines, body].join('\n');
    return [`{{- if ${condExpr(object.when)} }}`, ...lines, body.trimEnd(), '{{- end }}', ''].join('\n');
  }

  /** `node` as YAML text with every token expanded. */
  yaml(node: TNode): string {
    const doc = new Document(this.plain(node));
    const text = doc.toString({ lineWidth: 0, minContentWidth: 0 });
    return this.expand(text);
  }

  private token(kind: 'T' | 'E' | 'I', render: () => string): string {
    const name = `__c4a${kind}${this.next++}__`;
    this.pending.set(name, render);
    return name;
  }

  /** A plain value for the yaml library, with tokens where templates go. */
  private plain(node: TNode, key?: string): unknown {
    switch (node.kind) {
      case 'map': {
        const out: Record<string, unknown> = {};
        const ordered = [...node.entries.filter((e) => !e.when), ...node.entries.filter((e) => e.when)];
        for (const e of ordered) {
          if (!e.when) out[e.key] = this.plain(e.node, e.key);
          else out[this.token('E', () => this.conditional(e.when!, { kind: 'map', entries: [{ ...e, when: undefined }] }))] = null;
        }
        return out;
      }
      case 'list':
        return node.items.map((i) => (i.when ? this.token('I', () => this.conditional(i.when!, { kind: 'list', items: [{ ...i, when: undefined }] })) : this.plain(i.node)));
      case 'scalar':
        if (!node.parts) return typeof node.value === 'string' && node.value.includes('{{') ? this.token('T', () => `{{ ${literal(node.value as string)} | toJson }}`) : node.value;
        if (typeof node.value === 'string' && node.value.includes('\n') && !node.parts.some((p) => p.kind === 'list')) return this.block(node.parts);
        return this.token('T', () => this.inline(node));
      case 'switch':
        return this.token('T', () => this.inline(node));
      case 'random':
        return this.token('T', () => `{{ index (${SECRET}.data | default dict) ${literal(key ?? '')} | default (randAlphaNum ${node.length} | b64enc) }}`);
      case 'file':
        return this.token('T', () => `{{ $.Files.Get ${literal(node.path)} | toJson }}`);
    }
  }

  /** A multi-line string with sites: a literal block with the values inline. */
  private block(parts: readonly Part[]): YamlScalar {
    const text = parts
      .map((p) => (p.kind === 'text' ? escapeText(p.text) : this.token('T', () => `{{ ${valueExpr(p as Extract<Part, { kind: 'value' }>, this.typeOf)} }}`)))
      .join('');
    const scalar = new YamlScalar(text);
    scalar.type = YamlScalar.BLOCK_LITERAL;
    return scalar;
  }

  /** A scalar as one line of template: JSON for literals, an expression for values. */
  private inline(node: TNode): string {
    if (node.kind === 'switch') {
      const cases = node.cases.map((c, i) => `{{ ${i === 0 ? 'if' : 'else if'} ${condExpr(c.when)} }}${this.inline(c.node)}`);
      return `${cases.join('')}{{ else }}${this.inline(node.otherwise)}{{ end }}`;
    }
    if (node.kind !== 'scalar') throw new Error(`cannot render a ${node.kind} inline`);
    if (!node.parts) return typeof node.value === 'string' && node.value.includes('{{') ? `{{ ${literal(node.value)} | toJson }}` : JSON.stringify(node.value);
    if (typeof node.value !== 'string') return `{{ ${valueExpr(node.parts[0] as Extract<Part, { kind: 'value' }>, this.typeOf)} }}`;
    const list = node.parts.find((p) => p.kind === 'list');
    if (list?.kind === 'list') {
      const count = valueExpr({ kind: 'value', leaf: list.leaf }, this.typeOf);
      return `{{ $items := list }}{{ range $i := until (int ${count}) }}{{ $items = append $items (${printfExpr(list.item, this.typeOf)}) }}{{ end }}{{ join ${literal(list.separator)} $items | toJson }}`;
    }
    return `{{ ${this.expr(node)} | toJson }}`;
  }

  /** A string scalar as a bare template expression (a literal or a printf). */
  private expr(node: TNode): string {
    if (node.kind !== 'scalar' || typeof node.value !== 'string' || node.parts?.some((p) => p.kind === 'list')) throw new Error('not a string expression');
    return node.parts ? printfExpr(node.parts, this.typeOf) : literal(node.value);
  }

  /** `node` (one map entry or one list item) under `{{- if }}`, at the token's indentation. */
  private conditional(when: Cond, node: TNode): string {
    return `{{- if ${condExpr(when)} }}\n${this.yaml(node).trimEnd()}\n{{- end }}`;
  }

  private expand(text: string): string {
    const out: string[] = [];
    for (const line of text.split('\n')) {
      const entry = /^(\s*)(- )?(__c4a[EI]\d+__)(: null)?$/.exec(line);
      if (entry) {
        const [, indent, dash, name] = entry;
        const inner = dash && name!.startsWith('__c4aE') ? `${indent}-\n` : '';
        const pad = dash && name!.startsWith('__c4aE') ? `${indent}  ` : indent!;
        const rendered = this.take(name!).split('\n').map((l) => (l === '' ? l : `${pad}${l}`));
        out.push(`${inner}${rendered.join('\n')}`);
        continue;
      }
      out.push(line.replace(TOKEN, (name) => this.take(name)));
    }
    return out.join('\n');
  }

  private take(name: string): string {
    const render = this.pending.get(name);
    if (!render) throw new Error(`unknown token ${name}`);
    this.pending.delete(name);
    return render();
  }
}
