/**
 * The `moodle-external-functions/1` document: what the PHP exporter (codegen/moodle/) writes and what the
 * bundled snapshot holds. Described in ../shared/moodle/README.md.
 */

export type Requiredness = 'VALUE_REQUIRED' | 'VALUE_OPTIONAL' | 'VALUE_DEFAULT';

interface NodeBase {
  required: Requiredness;
  default: unknown;
  allownull: boolean;
  desc: string;
}

export interface ValueNode extends NodeBase {
  kind: 'value';
  /** Raw PARAM_* value: `int`, `raw`, `alphanum`, ... */
  type: string;
  /** Canonical constant name: `PARAM_INT`, ... */
  paramtype: string;
  /** Set when the default is computed at request time (`time()`); `default` is then null. */
  default_dynamic?: string;
}

export interface StructureNode extends NodeBase {
  kind: 'single_structure' | 'function_parameters';
  keys: Record<string, DescriptionNode>;
}

export interface ListNode extends NodeBase {
  kind: 'multiple_structure';
  content: DescriptionNode;
}

export type DescriptionNode = ValueNode | StructureNode | ListNode;

export interface FunctionDescription {
  name: string;
  classname: string;
  methodname: string;
  classpath: string | null;
  component: string;
  type: 'read' | 'write';
  description: string;
  capabilities: string[];
  capabilities_raw?: string;
  services: string[];
  service_memberships: string[];
  ajax: boolean;
  loginrequired: boolean;
  readonlysession: boolean;
  deprecated: boolean;
  deprecated_attribute?: unknown;
  parameters: StructureNode;
  returns: DescriptionNode | null;
}

export interface FunctionsDocument {
  format: 'moodle-external-functions/1';
  moodle: { release: string; version: string; branch: string; dbtype?: string; wwwroot?: string };
  notes?: string[];
  counts?: Record<string, number>;
  components?: Record<string, number>;
  param_types?: Record<string, { constant: string; aliases: string[] }>;
  functions: FunctionDescription[];
  errors: unknown[];
}
