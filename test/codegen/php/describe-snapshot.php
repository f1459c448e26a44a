<?php
// Rebuilds Moodle description objects from a moodle-external-functions/1 file, describes them again with the
// exporter (codegen/moodle/local_moodlemcp/classes/exporter.php) and prints {name: {parameters, returns}} as JSON.
// Usage: php describe-snapshot.php SNAPSHOT.json

require(__DIR__ . '/moodle-stubs.php');
require(__DIR__ . '/../../../codegen/moodle/local_moodlemcp/classes/exporter.php');

use core_external\external_function_parameters;
use core_external\external_multiple_structure;
use core_external\external_single_structure;
use core_external\external_value;

$constants = ['VALUE_REQUIRED' => VALUE_REQUIRED, 'VALUE_OPTIONAL' => VALUE_OPTIONAL, 'VALUE_DEFAULT' => VALUE_DEFAULT];
$now = time();

// Nodes are decoded as objects (defaults such as {} must stay objects); lists (e.g. default []) stay arrays.
$build = function(\stdClass $node) use (&$build, $constants, $now) {
    $required = $constants[$node->required];
    switch ($node->kind) {
        case 'value':
            $default = isset($node->default_dynamic) ? $now : $node->default;
            return new external_value($node->type, $node->desc, $required, $default, $node->allownull);
        case 'multiple_structure':
            return new external_multiple_structure($build($node->content), $node->desc, $required, $node->default, $node->allownull);
        default:
            $keys = [];
            foreach (get_object_vars($node->keys) as $name => $child) {
                $keys[$name] = $build($child);
            }
            $class = $node->kind === 'function_parameters' ? external_function_parameters::class : external_single_structure::class;
            return new $class($keys, $node->desc, $required, $node->default, $node->allownull);
    }
};

$snapshot = json_decode(file_get_contents($argv[1]), false, 512, JSON_THROW_ON_ERROR);
$out = [];
foreach ($snapshot->functions as $function) {
    $out[$function->name] = [
        'parameters' => \local_moodlemcp\exporter::describe_node($build($function->parameters), $now),
        'returns' => $function->returns === null ? null : \local_moodlemcp\exporter::describe_node($build($function->returns), $now),
    ];
}
$types = \local_moodlemcp\exporter::param_types();
echo \local_moodlemcp\exporter::to_json(['functions' => $out, 'param_types' => $types]);
