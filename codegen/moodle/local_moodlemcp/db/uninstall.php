<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * Uninstall: runs before Moodle drops the plugin's tables.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

defined('MOODLE_INTERNAL') || die();

/**
 * Deletes the web-service tokens the connect flow issued: without the plugin nothing lists them (MCP connections page,
 * revoke.php), and they would stay valid for the gateway.
 *
 * @return bool
 */
function xmldb_local_moodlemcp_uninstall() {
    \local_moodlemcp\connect\flow::for_site()->revoke_all();
    return true;
}
