<?php
// This file is part of moodle-mcp (Apache-2.0).

/**
 * Writes the moodle-external-functions/1 document of a Moodle site, for the moodle-mcp code generator.
 *
 * Usage (as the web server user, from any directory):
 *   php /path/to/moodle-mcp/codegen/moodle/cli/export_functions.php --moodle=/var/www/moodle --out=functions.json
 * then: make generate SNAPSHOT=functions.json
 * Uses the exporter class of this checkout (codegen/moodle/local_moodlemcp/classes/exporter.php, found next to this
 * script); the local_moodlemcp plugin does not need to be installed. Only the JSON document goes to stdout (or to
 * --out, written atomically); PHP and Moodle messages go to stderr, and any failure exits non-zero without a document.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

define('CLI_SCRIPT', true);

// Everything PHP or Moodle prints (notices, debugging(), the exception handler's report) goes to stderr: stdout
// carries the document only, written with fwrite(STDOUT), which output buffering does not capture.
ini_set('display_errors', 'stderr');
ob_start(function(string $buffer): string {
    if ($buffer !== '') {
        fwrite(STDERR, $buffer);
    }
    return '';
}, 1);

const USAGE = "Usage: php export_functions.php [--moodle=/path/to/moodle] [--out=FILE]\n"
    . "Describes every external function of the site (format moodle-external-functions/1), with the exporter of this\n"
    . "checkout. Runs from any directory. --moodle defaults to the current directory; without --out the document goes\n"
    . "to stdout. Messages go to stderr; on any error the exit status is non-zero and no document is written.\n";

/** Set once the script ends on its own terms (success, or an error it reported). */
$finished = false;
// Anything else that ends the script (Moodle's setup calling die(), an exit in a library) is a failure.
register_shutdown_function(function() use (&$finished) {
    if (!$finished) {
        fwrite(STDERR, "\nexport_functions.php: stopped before the document was complete (see the messages above); nothing written\n");
        exit(1);
    }
});

/**
 * Prints a message to stderr and exits with the given status.
 *
 * @param string $message
 * @param int $status
 */
function export_functions_fail(string $message, int $status): void {
    global $finished;
    $finished = true;
    fwrite(STDERR, "export_functions.php: {$message}\n");
    exit($status);
}

$moodledir = null;
$outfile = null;
$args = array_slice($argv, 1);
for ($i = 0; $i < count($args); $i++) {
    $arg = $args[$i];
    if ($arg === '--help' || $arg === '-h') {
        fwrite(STDOUT, USAGE);
        $finished = true;
        exit(0);
    } else if (strpos($arg, '--moodle=') === 0) {
        $moodledir = substr($arg, strlen('--moodle='));
    } else if (strpos($arg, '--out=') === 0) {
        $outfile = substr($arg, strlen('--out='));
    } else if ($arg === '--out' || $arg === '--moodle') {
        if (!isset($args[$i + 1])) {
            export_functions_fail("{$arg} needs a value (try --help)", 2);
        }
        ${$arg === '--out' ? 'outfile' : 'moodledir'} = $args[++$i];
    } else {
        export_functions_fail("unknown argument {$arg} (try --help)", 2);
    }
}
if ($outfile === '') {
    export_functions_fail('--out needs a file name', 2);
}
// Relative paths are relative to the directory the script was started from (Moodle's setup changes directory).
$startdir = getcwd();
$absolute = function(string $path) use ($startdir): string {
    return $path !== '' && $path[0] === '/' ? $path : rtrim($startdir, '/') . '/' . $path;
};
$moodledir = rtrim($absolute($moodledir ?? $startdir), '/');
if (!is_file($moodledir . '/config.php')) {
    export_functions_fail("no config.php in {$moodledir}; pass --moodle=/path/to/moodle", 2);
}
if ($outfile !== null) {
    $outfile = $absolute($outfile);
    if (!is_dir(dirname($outfile)) || !is_writable(dirname($outfile))) {
        export_functions_fail('--out: directory ' . dirname($outfile) . ' does not exist or is not writable', 2);
    }
}

// The exporter of this checkout, loaded before Moodle's class loader could load an installed (maybe older)
// local_moodlemcp plugin's copy of the same class.
$checkoutexporter = __DIR__ . '/../local_moodlemcp/classes/exporter.php';
if (!is_file($checkoutexporter)) {
    export_functions_fail("the exporter class is missing: {$checkoutexporter} (keep cli/ next to local_moodlemcp/)", 2);
}

try {
    require($moodledir . '/config.php');
    // Moodle's setup may have turned display_errors on (stdout for the CLI): back to stderr.
    ini_set('display_errors', 'stderr');
    require_once($CFG->libdir . '/clilib.php');
    if (!class_exists('\local_moodlemcp\exporter', false)) {
        require_once($checkoutexporter);
    }
    $loadedfrom = (new ReflectionClass('\local_moodlemcp\exporter'))->getFileName();
    $which = realpath($loadedfrom) === realpath($checkoutexporter) ? 'this checkout' : 'NOT this checkout (an installed plugin loaded first)';
    fwrite(STDERR, "export_functions.php: exporter class from {$loadedfrom} ({$which})\n");

    // Some parameter descriptions consult the current user: describe as the main administrator, like the plugin does.
    \core\session\manager::set_user(get_admin());
    core_php_time_limit::raise();
    raise_memory_limit(MEMORY_HUGE);

    $document = \local_moodlemcp\exporter::export();
    $json = \local_moodlemcp\exporter::to_json($document) . "\n";
} catch (Throwable $e) {
    export_functions_fail(get_class($e) . ': ' . $e->getMessage() . (isset($e->debuginfo) && $e->debuginfo ? " ({$e->debuginfo})" : ''), 1);
}

if ($outfile === null) {
    fwrite(STDOUT, $json);
} else {
    // Atomic: a temporary file in the same directory, renamed over the target once complete.
    $temporary = $outfile . '.tmp-' . getmypid();
    if (file_put_contents($temporary, $json) !== strlen($json) || !rename($temporary, $outfile)) {
        @unlink($temporary);
        export_functions_fail("--out: could not write {$outfile}", 1);
    }
    fwrite(STDERR, 'export_functions.php: wrote ' . count($document['functions']) . " functions to {$outfile}\n");
}
if ($document['errors']) {
    fwrite(STDERR, 'export_functions.php: ' . count($document['errors']) . " functions could not be described (see errors[])\n");
}
$finished = true;
exit(0);
