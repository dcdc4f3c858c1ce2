import ts from 'typescript';
import { ChartGenerationError } from './errors.js';

/** A settable value of the chart: one leaf of the props tree, with what its TypeScript type says. */
export interface ValueLeaf {
  readonly kind: 'leaf';
  /** Property names from the root props, e.g. ['infrastructure', 'kafka', 'replicas']. */
  readonly path: readonly string[];
  readonly type: 'string' | 'number' | 'boolean';
  /** The allowed strings, for a union of string literals or a string enum. */
  readonly enum?: readonly string[];
  readonly optional: boolean;
  readonly description: string;
  /** The `@default` tag's text, verbatim. */
  readonly defaultDoc?: string;
}

/** An object of the props tree. */
export interface ValueObject {
  readonly kind: 'object';
  readonly path: readonly string[];
  readonly optional: boolean;
  readonly description: string;
  readonly defaultDoc?: string;
  readonly children: readonly ValueNode[];
}

export type ValueNode = ValueLeaf | ValueObject;

export interface PropsTypeRef {
  /** The TypeScript file that declares (or exports) the interface. */
  readonly file: string;
  /** The interface or type alias, e.g. 'Chat4AllProps'. */
  readonly name: string;
}

/**
 * Reads the props tree of `ref` with the TypeScript compiler: every property, its type, whether it
 * is optional, its documentation and its `@default` tag. Properties inherited from cdk8s's own
 * `ChartProps` (labels, namespace, ...) are not values: they are declared in node_modules.
 */
export function readValuesModel(ref: PropsTypeRef): ValueObject {
  const program = ts.createProgram([ref.file], {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    types: [],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(ref.file);
  if (!source) throw new ChartGenerationError('unsupported_prop', `cannot read ${ref.file}`);
  const decl = source.statements.find((s) => (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) && s.name.text === ref.name);
  if (!decl) throw new ChartGenerationError('unsupported_prop', `${ref.file} declares no type ${ref.name}`);
  const root = checker.getTypeAtLocation((decl as ts.InterfaceDeclaration | ts.TypeAliasDeclaration).name);
  return { kind: 'object', path: [], optional: false, description: '', children: childrenOf(checker, root, []) };
}

function childrenOf(checker: ts.TypeChecker, type: ts.Type, path: readonly string[]): ValueNode[] {
  const nodes: ValueNode[] = [];
  for (const prop of checker.getPropertiesOfType(type)) {
    if (declaredInLibrary(prop)) continue;
    const at = [...path, prop.name];
    const propType = checker.getNonNullableType(checker.getTypeOfSymbol(prop));
    const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
    const description = ts.displayPartsToString(prop.getDocumentationComment(checker)).replace(/\s+/g, ' ').trim();
    const tag = prop.getJsDocTags(checker).find((t) => t.name === 'default');
    const defaultDoc = tag?.text ? ts.displayPartsToString(tag.text).replace(/\s+/g, ' ').trim() : undefined;
    const common = { path: at, optional, description, ...(defaultDoc !== undefined ? { defaultDoc } : {}) };
    const scalar = scalarOf(checker, propType);
    if (scalar) nodes.push({ kind: 'leaf', ...common, ...scalar });
    else if (isPlainObject(checker, propType)) nodes.push({ kind: 'object', ...common, children: childrenOf(checker, propType, at) });
    else throw new ChartGenerationError('unsupported_prop', `${at.join('.')}: type ${checker.typeToString(propType)} cannot be a Helm value (use Omit<> to keep it out of the props)`);
  }
  return nodes;
}

/** A property whose every declaration is a property signature in node_modules (cdk8s's ChartProps). */
function declaredInLibrary(prop: ts.Symbol): boolean {
  const decls = prop.declarations ?? [];
  return decls.length > 0 && decls.every((d) => (ts.isPropertySignature(d) || ts.isPropertyDeclaration(d)) && d.getSourceFile().fileName.includes('/node_modules/'));
}

function scalarOf(checker: ts.TypeChecker, type: ts.Type): Pick<ValueLeaf, 'type' | 'enum'> | undefined {
  if (type.flags & ts.TypeFlags.String) return { type: 'string' };
  if (type.flags & ts.TypeFlags.Number) return { type: 'number' };
  if (type.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return { type: 'boolean' };
  const members = type.isUnion() ? type.types : [type];
  if (members.every((m) => m.isStringLiteral())) return { type: 'string', enum: members.map((m) => (m as ts.StringLiteralType).value) };
  if (type.isUnion() && members.every((m) => m.flags & ts.TypeFlags.BooleanLiteral)) return { type: 'boolean' };
  if (type.isUnion() && members.some((m) => m.flags & (ts.TypeFlags.StringLike | ts.TypeFlags.NumberLike | ts.TypeFlags.BooleanLike))) {
    throw new ChartGenerationError('unsupported_prop', `a union of ${checker.typeToString(type)} cannot be a Helm value`);
  }
  return undefined;
}

/**
 * An object type with properties only: no call or construct signatures, not an array, not a class
 * instance; or an intersection of such types (`Omit<P, 'x'> & { enabled?: boolean }`).
 */
function isPlainObject(checker: ts.TypeChecker, type: ts.Type): boolean {
  if (type.isIntersection()) return type.types.every((t) => isPlainObject(checker, t));
  if (!(type.flags & ts.TypeFlags.Object) || checker.isArrayLikeType(type)) return false;
  if (type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0) return false;
  return !checker.getPropertiesOfType(type).some((p) => (p.flags & ts.SymbolFlags.Method) !== 0 || p.valueDeclaration?.kind === ts.SyntaxKind.PropertyDeclaration);
}

/** Every leaf of `node`, depth first in declaration order. */
export function leavesOf(node: ValueNode): ValueLeaf[] {
  return node.kind === 'leaf' ? [node] : node.children.flatMap(leavesOf);
}

/** The leaves reachable from `node` through required properties only. */
function requiredLeaves(node: ValueNode): ValueLeaf[] {
  return node.kind === 'leaf' ? [node] : node.children.filter((c) => !c.optional).flatMap(requiredLeaves);
}

/** The optional objects and leaves on the way from the root to `leaf`, outermost first. */
export function optionalAncestors(root: ValueObject, leaf: ValueLeaf): ValueNode[] {
  const out: ValueNode[] = [];
  let node: ValueNode = root;
  for (const name of leaf.path) {
    const child: ValueNode | undefined = node.kind === 'object' ? node.children.find((c) => c.path[c.path.length - 1] === name) : undefined;
    if (!child) break;
    if (child.optional) out.push(child);
    node = child;
  }
  return out;
}

/**
 * The leaves that must be set together with `leaf`: every optional object on its way, once given,
 * needs its required properties, so setting `resources.cpuMillis.request` means giving the whole
 * (optional) `resources` object, and `resources.ephemeralMiB.request` its `limit` as well.
 */
export function groupOf(root: ValueObject, leaf: ValueLeaf): ValueLeaf[] {
  const needed = new Set<ValueLeaf>([leaf]);
  for (const node of optionalAncestors(root, leaf)) requiredLeaves(node).forEach((l) => needed.add(l));
  return leavesOf(root).filter((l) => needed.has(l));
}

/** The `@default` tag's value when it is a plain literal (a number, a quoted string, true/false, an enum member). */
export function documentedDefault(leaf: ValueLeaf): string | number | boolean | undefined {
  const m = /^(-?\d+(?:\.\d+)?|'[^']*'|"[^"]*"|true|false|[A-Za-z][A-Za-z0-9]*)(?:\s*\(.*\))?$/.exec(leaf.defaultDoc ?? '');
  if (!m) return undefined;
  const text = m[1]!;
  if (/^-?\d/.test(text)) return leaf.type === 'number' ? Number(text) : undefined;
  if (text === 'true' || text === 'false') return leaf.type === 'boolean' ? text === 'true' : undefined;
  if (/^['"]/.test(text)) return leaf.type === 'string' ? text.slice(1, -1) : undefined;
  return leaf.enum?.includes(text) ? text : undefined;
}
