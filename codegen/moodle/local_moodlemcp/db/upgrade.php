<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * Upgrade steps.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

defined('MOODLE_INTERNAL') || die();

/**
 * Upgrades the plugin's database from an older version.
 *
 * @param int $oldversion the version installed before
 * @return bool
 */
function xmldb_local_moodlemcp_upgrade($oldversion) {
    global $DB;
    $dbman = $DB->get_manager();

    if ($oldversion < 2026120800) {
        // The connect flow's tables, as declared in install.xml.
        foreach (['local_moodlemcp_tokens', 'local_moodlemcp_codes'] as $table) {
            if (!$dbman->table_exists($table)) {
                $dbman->install_one_table_from_xmldb_file(__DIR__ . '/install.xml', $table);
            }
        }
        upgrade_plugin_savepoint(true, 2026120800, 'local', 'moodlemcp');
    }

    if ($oldversion < 2026120801) {
        // Admin preset exports leave the connect secret out.
        \local_moodlemcp\admin\presets::protect_secret();
        upgrade_plugin_savepoint(true, 2026120801, 'local', 'moodlemcp');
    }

    return true;
}
