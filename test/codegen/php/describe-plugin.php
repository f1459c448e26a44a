<?php
// Describes the local_moodlemcp plugin's own web-service functions from its source (db/services.php and the
// external classes' execute_parameters()/execute_returns()) with the exporter, using the test doubles of
// moodle-stubs.php. Prints {name: {type, description, ajax, loginrequired, capabilities, parameters, returns}} as JSON.
// Used only by test/codegen/php-plugin-functions.test.ts.

require(__DIR__ . '/moodle-stubs.php');
$plugin = __DIR__ . '/../../../codegen/moodle/local_moodlemcp';
require($plugin . '/classes/exporter.php');
require($plugin . '/classes/course_access.php');
require($plugin . '/classes/course_resolver.php');
require($plugin . '/classes/external/export_functions.php');
require($plugin . '/classes/external/resolve_courses.php');

$functions = [];
require($plugin . '/db/services.php');
$now = time();
$out = [];
foreach ($functions as $name => $definition) {
    $class = $definition['classname'];
    $method = $definition['methodname'];
    $out[$name] = [
        'type' => $definition['type'],
        'description' => $definition['description'],
        'ajax' => $definition['ajax'],
        'loginrequired' => $definition['loginrequired'],
        'capabilities' => $definition['capabilities'] ?? '',
        'parameters' => \local_moodlemcp\exporter::describe_node($class::{$method . '_parameters'}(), $now),
        'returns' => \local_moodlemcp\exporter::describe_node($class::{$method . '_returns'}(), $now),
    ];
}
echo \local_moodlemcp\exporter::to_json($out);
