<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * The signed-in person's MCP connections (tokens the connect flow issued to them), each with a button that ends it
 * (deletes its token). Linked from Preferences. Ordinary users cannot use Preferences > Security keys (it needs
 * moodle/webservice:createtoken), so this is where they end a connection from the Moodle side.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

require(__DIR__ . '/../../config.php');

$PAGE->set_url(new moodle_url('/local/moodlemcp/connections.php'));
require_login(null, false);
if (isguestuser()) {
    throw new moodle_exception('noguest');
}
$context = context_user::instance($USER->id);
$PAGE->set_context($context);
$PAGE->set_pagelayout('standard');
$PAGE->set_title(get_string('connections', 'local_moodlemcp'));
$PAGE->set_heading(fullname($USER));

$flow = \local_moodlemcp\connect\flow::for_site();
$revoke = optional_param('revoke', 0, PARAM_INT);
if ($revoke > 0 && data_submitted() && confirm_sesskey()) {
    $done = $flow->revoke_own((int)$USER->id, $revoke);
    redirect($PAGE->url, get_string($done ? 'connectionrevoked' : 'connectionunknown', 'local_moodlemcp'), null,
        $done ? \core\output\notification::NOTIFY_SUCCESS : \core\output\notification::NOTIFY_WARNING);
}

\local_moodlemcp\connect\http::forbid_framing();
echo $OUTPUT->header();
echo $OUTPUT->heading(get_string('connections', 'local_moodlemcp'));
$connections = $flow->connections((int)$USER->id);
if (!$connections) {
    echo $OUTPUT->notification(get_string('connectionsnone', 'local_moodlemcp'), \core\output\notification::NOTIFY_INFO, false);
} else {
    echo html_writer::tag('p', get_string('connections_desc', 'local_moodlemcp'));
    $table = new html_table();
    $table->head = [get_string('connectionname', 'local_moodlemcp'), get_string('connectioncreated', 'local_moodlemcp'),
        get_string('connectionvaliduntil', 'local_moodlemcp'), get_string('connectionlastaccess', 'local_moodlemcp'), ''];
    foreach ($connections as $connection) {
        $button = new single_button(new moodle_url($PAGE->url, ['revoke' => $connection['tokenid']]),
            get_string('connectionrevoke', 'local_moodlemcp'), 'post');
        $table->data[] = [
            s($connection['name']),
            userdate($connection['timecreated']),
            $connection['validuntil'] ? userdate($connection['validuntil']) : get_string('never'),
            $connection['lastaccess'] ? userdate($connection['lastaccess']) : get_string('never'),
            $OUTPUT->render($button),
        ];
    }
    echo html_writer::table($table);
}
echo $OUTPUT->footer();
