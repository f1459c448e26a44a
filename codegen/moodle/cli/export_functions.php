<?php
// This file is part of moodle-mcp (Apache-2.0).

/**
 * Writes the moodle-external-functions/1 document of a Moodle site to stdout, for the moodle-mcp code generator.
 *
 * Usage (as the web server user, from anywhere):
 *   php /path/to/moodle-mcp/codegen/moodle/cli/export_functions.php --moodle=/var/www/moodle > functions.json
 * then: make generate SNAPSHOT=functions.json
 * Uses the same exporter as the local_moodlemcp plugin (the plugin does not need to be installed).
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

define('CLI_SCRIPT', true);

$moodledir = null;
foreach (array_slice($argv, 1) as $arg) {
    if ($arg === '--help' || $arg === '-h') {
        fwrite(STDOUT, "Usage: php export_functions.php [--moodle=/path/to/moodle] > functions.json\n"
            . "Describes every external function of the site (format moodle-external-functions/1).\n"
            . "--moodle defaults to the current directory.\n");
        exit(0);
    } else if (strpos($arg, '--moodle=') === 0) {
        $moodledir = substr($arg, strlen('--moodle='));
    } else {
        fwrite(STDERR, "export_functions.php: unknown argument {$arg} (try --help)\n");
        exit(2);
    }
}
$moodledir = rtrim($moodledir ?? getcwd(), '/');
if (!is_file($moodledir . '/config.php')) {
    fwrite(STDERR, "export_functions.php: no config.php in {$moodledir}; pass --moodle=/path/to/moodle\n");
    exit(2);
}

require($moodledir . '/config.php');
require_once($CFG->libdir . '/clilib.php');
if (!class_exists('\local_moodlemcp\exporter')) {
    require_once(__DIR__ . '/../local_moodlemcp/classes/exporter.php');
}

// Some parameter descriptions consult the current user: describe as the main administrator, like the plugin does.
\core\session\manager::set_user(get_admin());
core_php_time_limit::raise();
raise_memory_limit(MEMORY_HUGE);

$document = \local_moodlemcp\exporter::export();
fwrite(STDOUT, \local_moodlemcp\exporter::to_json($document) . "\n");
if ($document['errors']) {
    fwrite(STDERR, 'export_functions.php: ' . count($document['errors']) . " functions could not be described (see errors[])\n");
}
exit(0);
