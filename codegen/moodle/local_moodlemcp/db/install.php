<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * Post-install step.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

defined('MOODLE_INTERNAL') || die();

/**
 * Keeps the connect secret out of admin preset exports.
 *
 * @return bool
 */
function xmldb_local_moodlemcp_install() {
    \local_moodlemcp\admin\presets::protect_secret();
    return true;
}
