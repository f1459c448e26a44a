<?php
// This file is part of moodle-mcp (Apache-2.0).

/**
 * Writes the moodle-external-functions/1 document of a Moodle site, for the moodle-mcp code generator.
 *
 * Usage (as the web server user, from any directory):
 *   php /path/to/moodle-mcp/codegen/moodle/cli/export_functions.php --moodle=/var/www/moodle --out=functions.json
 * (/var/www/moodle: the directory holding config.php; on Moodle 5.1+ that is the one above public/)
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
    . "checkout. Runs from any directory. --moodle is the Moodle directory (default: the current one): where config.php\n"
    . "is, next to lib/ (Moodle 4.2 - 5.0) or next to public/ (Moodle 5.1+; public/ itself is accepted too). Without\n"
    . "--out the document goes to stdout. Messages go to stderr; on any error the exit status is non-zero and no document\n"
    . "is written.\n";

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

/**
 * Finds the Moodle tree that --moodle names, in either layout:
 * - Moodle 4.x and 5.0: the code (lib/setup.php, version.php, local/, ...) and config.php at the top;
 * - Moodle 5.1 and later: the code under public/ (public/lib/setup.php, public/version.php, public/local/, ...) and
 *   config.php at the top, next to public/ (public/config.php only loads ../config.php).
 * --moodle may name the top of either, or the public/ folder of a 5.1+ tree. Reads version.php as text (release,
 * branch) and refuses Moodle before 4.2 (the exporter needs core_external).
 *
 * @param string $dir absolute path given with --moodle
 * @return array|string ['root', 'config', 'layout', 'release'], or what is wrong
 */
function export_functions_locate_moodle(string $dir) {
    if (!is_file("{$dir}/public/lib/setup.php") && !is_file("{$dir}/lib/setup.php")) {
        return "{$dir} is not a Moodle directory: neither lib/setup.php (Moodle 4.x, 5.0) nor public/lib/setup.php "
            . '(Moodle 5.1+) is in it; pass --moodle=/path/to/moodle';
    }
    $root = $dir;
    $code = is_file("{$dir}/public/lib/setup.php") ? "{$dir}/public" : $dir;
    $source = is_readable("{$code}/version.php") ? (string)file_get_contents("{$code}/version.php") : '';
    $release = preg_match('/^\s*\$release\s*=\s*\'([^\']*)\'/m', $source, $m) ? $m[1] : null;
    $branch = preg_match('/^\s*\$branch\s*=\s*\'(\d+)\'/m', $source, $m) ? (int)$m[1] : null;
    if ($release === null || $branch === null) {
        return "{$code}/version.php is missing or names no \$release and \$branch: is {$dir} a complete Moodle tree?";
    }
    if ($code === $dir && $branch >= 501) {
        // Moodle 5.1+ keeps its code under public/: this is that folder, and the site's config.php is one level up.
        if (basename($dir) !== 'public') {
            return "Moodle {$release} in {$dir} has its code at the top, but Moodle 5.1+ keeps it under public/: is the tree complete?";
        }
        $root = dirname($dir);
    }
    if ($branch < 402) {
        return "Moodle {$release} in {$root} is older than 4.2: the exporter needs core_external (Moodle 4.2+)";
    }
    $layout = $code === $root ? 'Moodle 4.x/5.0 layout: code and config.php at the top' : "Moodle 5.1+ layout: code in {$root}/public, config.php at the top";
    if (!is_file("{$root}/config.php")) {
        return "no config.php in {$root} (Moodle {$release}, {$layout}): install the site first, or pass --moodle=/path/to/moodle";
    }
    return ['root' => $root, 'config' => "{$root}/config.php", 'layout' => $layout, 'release' => $release];
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
$moodle = export_functions_locate_moodle(rtrim($absolute($moodledir ?? $startdir), '/'));
if (is_string($moodle)) {
    export_functions_fail($moodle, 2);
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
    fwrite(STDERR, "export_functions.php: Moodle {$moodle['release']} in {$moodle['root']} ({$moodle['layout']})\n");
    require($moodle['config']);
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
