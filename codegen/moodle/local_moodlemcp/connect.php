<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * Connect an MCP client: the person signs in to Moodle (whatever authentication the site uses), confirms, and is sent
 * back to the gateway's callback with a one-time code for a new token of their own. See classes/connect/flow.php.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

require(__DIR__ . '/../../config.php');

use local_moodlemcp\connect\flow;
use local_moodlemcp\connect\request;
use local_moodlemcp\connect\request_error;

$flow = flow::for_site();
$names = ['return_to', 'state', 'code_challenge', 'code_challenge_method', 'client', 'gateway', 'valid_until'];
$params = [];
foreach ($names as $name) {
    $value = optional_param($name, null, PARAM_RAW);
    if ($value !== null) {
        $params[$name] = $value;
    }
}
try {
    $request = request::from_params($params, $flow->settings(), time());
} catch (request_error $e) {
    // Never redirect to a callback that was not checked.
    throw new moodle_exception('connectbadrequest', 'local_moodlemcp', '', $e->getMessage());
}

$PAGE->set_url(new moodle_url('/local/moodlemcp/connect.php', $request->params()));
$PAGE->set_context(context_system::instance());
require_login(null, false);

$refusal = $flow->refusal((int)$USER->id);
if ($refusal !== null) {
    redirect($flow->error_url($request, ...$refusal));
}

$action = optional_param('action', '', PARAM_ALPHA);
if ($action !== '' && data_submitted() && confirm_sesskey()) {
    if ($action === 'cancel') {
        redirect($flow->error_url($request, 'access_denied', 'The person cancelled the connection.'));
    }
    try {
        $target = $flow->connect($request, (int)$USER->id);
    } catch (Throwable $e) {
        error_log('local_moodlemcp connect.php: ' . \local_moodlemcp\connect\http::fault_summary($e));
        $target = $flow->error_url($request, 'server_error', 'The connection could not be created.');
    }
    redirect($target);
}

$PAGE->set_pagelayout('standard');
$PAGE->set_title(get_string('connecttitle', 'local_moodlemcp'));
$PAGE->set_heading(format_string($SITE->fullname));
$a = (object)['client' => s($request->client), 'gateway' => s($request->gateway), 'site' => format_string($SITE->fullname),
    'user' => s(fullname($USER))];
$message = html_writer::tag('p', get_string('connectconfirm', 'local_moodlemcp', $a))
    . html_writer::tag('p', get_string('connectconfirmdetail', 'local_moodlemcp', $a));
$validuntil = $flow->token_valid_until($request->validuntil, time());
if ($validuntil > 0) {
    $message .= html_writer::tag('p', get_string('connectvaliduntil', 'local_moodlemcp', userdate($validuntil)));
}
$connect = new single_button(new moodle_url('/local/moodlemcp/connect.php', $request->params() + ['action' => 'connect']),
    get_string('connectbutton', 'local_moodlemcp'), 'post', single_button::BUTTON_PRIMARY);
$cancel = new single_button(new moodle_url('/local/moodlemcp/connect.php', $request->params() + ['action' => 'cancel']),
    get_string('cancel'), 'post');

\local_moodlemcp\connect\http::forbid_framing();
echo $OUTPUT->header();
echo $OUTPUT->confirm($message, $connect, $cancel, ['confirmtitle' => get_string('connecttitle', 'local_moodlemcp')]);
echo $OUTPUT->footer();
