<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp code generator.

/**
 * English strings.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

defined('MOODLE_INTERNAL') || die();

$string['pluginname'] = 'moodle-mcp (function exporter and course resolver)';
$string['privacy:metadata'] = 'The moodle-mcp plugin only reads web-service function descriptions and which course an item belongs to; it stores no personal data.';
