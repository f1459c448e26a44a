<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * Callbacks.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

defined('MOODLE_INTERNAL') || die();

/**
 * Adds "MCP connections" to the signed-in person's own Preferences when the connect flow is configured.
 *
 * @param navigation_node $navigation the user settings node
 * @param stdClass $user the user whose settings are shown
 * @param context_user $usercontext
 * @param stdClass $course
 * @param context_course $coursecontext
 */
function local_moodlemcp_extend_navigation_user_settings(navigation_node $navigation, $user, $usercontext, $course, $coursecontext) {
    global $USER;
    if ((int)$user->id !== (int)$USER->id || isguestuser() || is_siteadmin()) {
        return;
    }
    if (!\local_moodlemcp\connect\settings::from_config(get_config('local_moodlemcp'))->configured()) {
        return;
    }
    $navigation->add(get_string('connections', 'local_moodlemcp'), new moodle_url('/local/moodlemcp/connections.php'),
        navigation_node::TYPE_SETTING, null, 'local_moodlemcp_connections');
}
