<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp code generator.

/**
 * Describes every external (web-service) function of a Moodle site as a `moodle-external-functions/1` document.
 *
 * The one implementation behind both the CLI script (codegen/moodle/cli/export_functions.php) and the
 * web-service function local_moodlemcp_export_functions. Written against Moodle's documented external API
 * (core_external\external_api::external_function_info() and the external_value / external_single_structure /
 * external_multiple_structure description classes, Moodle 4.2+ namespaces).
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

namespace local_moodlemcp;

defined('MOODLE_INTERNAL') || die();

use core_external\external_api;
use core_external\external_description;
use core_external\external_function_parameters;
use core_external\external_multiple_structure;
use core_external\external_single_structure;
use core_external\external_value;

/**
 * Exporter of external function descriptions.
 */
class exporter {
    /** Document format written by this exporter. */
    const FORMAT = 'moodle-external-functions/1';

    /** A VALUE_DEFAULT int within this many seconds of the export time is a default computed by time(). */
    const DYNAMIC_TIME_WINDOW = 3600;

    /**
     * Builds the whole document: site, counts, parameter types, functions (sorted by name), errors.
     *
     * @return array
     */
    public static function export(): array {
        global $CFG, $DB;
        $now = time();
        $rows = $DB->get_records('external_functions', null, 'name ASC');
        $memberships = self::service_memberships();
        $functions = [];
        $errors = [];
        $typemissing = 0;
        foreach ($rows as $row) {
            try {
                $missing = false;
                $functions[] = self::describe_function($row, $memberships[$row->name] ?? [], $now, $missing);
                $typemissing += $missing ? 1 : 0;
            } catch (\Throwable $e) {
                $errors[] = ['name' => $row->name, 'error' => get_class($e) . ': ' . $e->getMessage()];
            }
        }
        usort($functions, function($a, $b) {
            return strcmp($a['name'], $b['name']);
        });
        $components = [];
        foreach ($functions as $function) {
            $components[$function['component']] = ($components[$function['component']] ?? 0) + 1;
        }
        ksort($components);
        return [
            'format' => self::FORMAT,
            'moodle' => [
                'release' => (string)$CFG->release,
                'version' => (string)$CFG->version,
                'branch' => (string)$CFG->branch,
                'dbtype' => (string)$CFG->dbtype,
                'wwwroot' => (string)$CFG->wwwroot,
            ],
            'notes' => [
                'Produced by calling core_external\\external_api::external_function_info() for every row of the external_functions table.',
                'required: VALUE_REQUIRED=1, VALUE_OPTIONAL=2, VALUE_DEFAULT=0 (Moodle constants); default is only meaningful for VALUE_DEFAULT.',
                'keys of single structures keep Moodle declaration order.',
                'type is the raw PARAM_* value (e.g. "int", "raw"); paramtype is the canonical PARAM_ constant name.',
                'default_dynamic="time()" marks a default computed at request time (replaced by null here to keep the dump deterministic).',
            ],
            'counts' => self::counts(count($rows), $functions, $errors, $typemissing),
            'components' => $components,
            'param_types' => self::param_types(),
            'functions' => $functions,
            'errors' => $errors,
        ];
    }

    /**
     * Serialises a document as JSON (pretty, slashes and unicode unescaped, floats keep their fraction).
     *
     * @param array $document
     * @return string
     */
    public static function to_json(array $document): string {
        $json = json_encode($document, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE
            | JSON_PRESERVE_ZERO_FRACTION | JSON_INVALID_UTF8_SUBSTITUTE);
        if ($json === false) {
            throw new \coding_exception('local_moodlemcp: cannot encode the export as JSON: ' . json_last_error_msg());
        }
        return $json;
    }

    /**
     * Describes one function (a row of the external_functions table).
     *
     * @param \stdClass $row
     * @param string[] $memberships services of this site that contain the function
     * @param int $now export time, to recognise defaults computed by time()
     * @param bool|null $typemissing set to true when services.php declares no type (then "write" is assumed)
     * @return array
     */
    public static function describe_function(\stdClass $row, array $memberships, int $now, ?bool &$typemissing = null): array {
        $info = external_api::external_function_info(clone $row);
        $deprecatedattribute = self::deprecated_attribute($info->classname, $info->methodname);
        $type = (isset($info->type) && in_array($info->type, ['read', 'write'], true)) ? $info->type : null;
        $typemissing = $type === null;
        return [
            'name' => $row->name,
            'classname' => $row->classname,
            'methodname' => $row->methodname,
            'classpath' => empty($row->classpath) ? null : $row->classpath,
            'component' => $row->component,
            'type' => $type ?? 'write',
            'description' => (string)($info->description ?? ''),
            'capabilities' => self::split_list($row->capabilities ?? ''),
            'capabilities_raw' => (string)($row->capabilities ?? ''),
            'services' => self::split_list($row->services ?? ''),
            'service_memberships' => $memberships,
            'ajax' => !empty($info->allowed_from_ajax),
            'loginrequired' => !isset($info->loginrequired) || (bool)$info->loginrequired,
            'readonlysession' => !empty($info->readonlysession),
            'deprecated' => !empty($info->deprecated) || $deprecatedattribute !== null,
            'deprecated_attribute' => $deprecatedattribute,
            'parameters' => self::describe_node($info->parameters_desc, $now),
            'returns' => $info->returns_desc === null ? null : self::describe_node($info->returns_desc, $now),
        ];
    }

    /**
     * Converts a description object into a node with a fixed key order:
     * value: kind, type, paramtype, required, default, allownull, desc (+ default_dynamic);
     * single_structure / function_parameters: kind, required, default, allownull, desc, keys;
     * multiple_structure: kind, required, default, allownull, desc, content.
     *
     * @param external_description $description
     * @param int $now export time
     * @return array
     */
    public static function describe_node(external_description $description, int $now): array {
        if ($description instanceof external_value) {
            $node = [
                'kind' => 'value',
                'type' => (string)$description->type,
                'paramtype' => self::param_constant((string)$description->type),
                'required' => self::required_name($description->required),
                'default' => $description->default,
                'allownull' => (bool)$description->allownull,
                'desc' => (string)$description->desc,
            ];
            if ($description->required == VALUE_DEFAULT && $description->type === PARAM_INT && is_int($description->default)
                    && abs($description->default - $now) <= self::DYNAMIC_TIME_WINDOW) {
                $node['default'] = null;
                $node['default_dynamic'] = 'time()';
            }
            return $node;
        }
        $node = [
            'kind' => null,
            'required' => self::required_name($description->required),
            'default' => $description->default,
            'allownull' => property_exists($description, 'allownull') ? (bool)$description->allownull : false,
            'desc' => (string)$description->desc,
        ];
        if ($description instanceof external_single_structure) {
            $node['kind'] = $description instanceof external_function_parameters ? 'function_parameters' : 'single_structure';
            $keys = new \stdClass();
            foreach ($description->keys as $name => $child) {
                $keys->{$name} = self::describe_node($child, $now);
            }
            $node['keys'] = $keys;
            return $node;
        }
        if ($description instanceof external_multiple_structure) {
            $node['kind'] = 'multiple_structure';
            $node['content'] = self::describe_node($description->content, $now);
            return $node;
        }
        throw new \coding_exception('local_moodlemcp: unknown external description class ' . get_class($description));
    }

    /**
     * Maps Moodle's VALUE_* constants to their names.
     *
     * @param mixed $required
     * @return string
     */
    public static function required_name($required): string {
        if ($required == VALUE_REQUIRED) {
            return 'VALUE_REQUIRED';
        }
        if ($required == VALUE_OPTIONAL) {
            return 'VALUE_OPTIONAL';
        }
        return 'VALUE_DEFAULT';
    }

    /**
     * Every PARAM_* value with its canonical constant name and aliases.
     *
     * @return array
     */
    public static function param_types(): array {
        $byvalue = [];
        foreach (get_defined_constants() as $name => $value) {
            if (strpos($name, 'PARAM_') === 0 && is_string($value)) {
                $byvalue[$value][] = $name;
            }
        }
        ksort($byvalue);
        $types = [];
        foreach ($byvalue as $value => $names) {
            sort($names);
            $canonical = in_array('PARAM_' . strtoupper($value), $names, true) ? 'PARAM_' . strtoupper($value) : $names[0];
            $types[$value] = ['constant' => $canonical, 'aliases' => array_values(array_diff($names, [$canonical]))];
        }
        return $types;
    }

    /**
     * The canonical PARAM_* constant name of a raw type value.
     *
     * @param string $type
     * @return string
     */
    public static function param_constant(string $type): string {
        static $types = null;
        if ($types === null) {
            $types = self::param_types();
        }
        return $types[$type]['constant'] ?? 'PARAM_' . strtoupper($type);
    }

    /**
     * Services (shortname, else name) that contain each function on this site.
     *
     * @return array function name => sorted service names
     */
    private static function service_memberships(): array {
        global $DB;
        $sql = 'SELECT esf.id, esf.functionname, es.shortname, es.name
                  FROM {external_services_functions} esf
                  JOIN {external_services} es ON es.id = esf.externalserviceid';
        $result = [];
        foreach ($DB->get_records_sql($sql) as $record) {
            $result[$record->functionname][] = (string)($record->shortname !== null && $record->shortname !== '' ? $record->shortname : $record->name);
        }
        foreach ($result as &$services) {
            $services = array_values(array_unique($services));
            sort($services);
        }
        return $result;
    }

    /**
     * The #[\core\attribute\deprecated] attribute of the implementation method, when Moodle (4.4+) supports it.
     *
     * @param string $classname
     * @param string $methodname
     * @return array|null
     */
    private static function deprecated_attribute(string $classname, string $methodname): ?array {
        if (!class_exists('\core\deprecation')) {
            return null;
        }
        $attribute = \core\deprecation::from([$classname, $methodname]);
        if ($attribute === null) {
            return null;
        }
        $result = [];
        foreach (['since', 'reason', 'replacement', 'mdl', 'final'] as $field) {
            $result[$field] = property_exists($attribute, $field) ? $attribute->{$field} : null;
        }
        return $result;
    }

    /**
     * Splits a comma-separated column (capabilities, services) into trimmed, non-empty items.
     *
     * @param string $value
     * @return string[]
     */
    private static function split_list(string $value): array {
        return array_values(array_filter(array_map('trim', explode(',', $value)), function($item) {
            return $item !== '';
        }));
    }

    /**
     * Totals over the described functions.
     *
     * @param int $rows
     * @param array $functions
     * @param array $errors
     * @param int $typemissing
     * @return array
     */
    private static function counts(int $rows, array $functions, array $errors, int $typemissing): array {
        $count = function(callable $predicate) use ($functions) {
            return count(array_filter($functions, $predicate));
        };
        return [
            'external_functions_rows' => $rows,
            'described' => count($functions),
            'errors' => count($errors),
            'read' => $count(function($f) {
                return $f['type'] === 'read';
            }),
            'write' => $count(function($f) {
                return $f['type'] === 'write';
            }),
            'type_missing' => $typemissing,
            'ajax' => $count(function($f) {
                return $f['ajax'];
            }),
            'loginrequired_false' => $count(function($f) {
                return !$f['loginrequired'];
            }),
            'readonlysession' => $count(function($f) {
                return $f['readonlysession'];
            }),
            'deprecated' => $count(function($f) {
                return $f['deprecated'];
            }),
            'returns_null' => $count(function($f) {
                return $f['returns'] === null;
            }),
        ];
    }
}
