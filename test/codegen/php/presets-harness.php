<?php
// Runs local_moodlemcp\admin\presets::protect_secret() against an in-memory double of Moodle's get_config/set_config,
// starting from the "sensiblesettings" value given as argv[1], twice, and prints
// {"first": changed?, "second": changed?, "value": final list}. Used only by test/codegen/php-connect.test.ts.

define('MOODLE_INTERNAL', true);
$GLOBALS['config'] = ['adminpresets' => ['sensiblesettings' => $argv[1] ?? '']];

function get_config($plugin, $name) {
    return $GLOBALS['config'][$plugin][$name] ?? false;
}

function set_config($name, $value, $plugin) {
    $GLOBALS['config'][$plugin][$name] = $value;
    return true;
}

require __DIR__ . '/../../../codegen/moodle/local_moodlemcp/classes/admin/presets.php';

$first = \local_moodlemcp\admin\presets::protect_secret();
$second = \local_moodlemcp\admin\presets::protect_secret();
echo json_encode(['first' => $first, 'second' => $second, 'value' => $GLOBALS['config']['adminpresets']['sensiblesettings']]);
