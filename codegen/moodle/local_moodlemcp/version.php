<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp code generator and gateway.

/**
 * Version information.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

defined('MOODLE_INTERNAL') || die();

$plugin->component = 'local_moodlemcp';
$plugin->version = 2026120801;
$plugin->requires = 2023042400; // Moodle 4.2: core_external namespace.
$plugin->supported = [402, 501];
$plugin->maturity = MATURITY_STABLE;
$plugin->release = '0.3.0';
