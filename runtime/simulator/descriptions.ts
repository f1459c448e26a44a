/** The node shapes of `moodle-external-functions/1` (functions-4.5.6.json), as the simulator reads them. */

export type Required = 'VALUE_REQUIRED' | 'VALUE_OPTIONAL' | 'VALUE_DEFAULT';

export interface ValueNode {
  kind: 'value';
  type: string;
  paramtype: string;
  required: Required;
  default: unknown;
  default_dynamic?: string;
  allownull: boolean;
  desc: string;
}

export interface StructureNode {
  kind: 'single_structure' | 'function_parameters';
  required: Required;
  default: unknown;
  allownull: boolean;
  desc: string;
  keys: Record<string, DescNode>;
}

export interface MultipleNode {
  kind: 'multiple_structure';
  required: Required;
  default: unknown;
  allownull: boolean;
  desc: string;
  content: DescNode;
}

export type DescNode = ValueNode | StructureNode | MultipleNode;

export interface FunctionDescription {
  name: string;
  component: string;
  type: 'read' | 'write';
  capabilities: string[];
  loginrequired: boolean;
  service_memberships: string[];
  parameters: StructureNode;
  returns: DescNode | null;
}

export interface FunctionsFile {
  format: string;
  moodle: { release: string; version: string; branch: string };
  functions: FunctionDescription[];
}
