<?php
// Checks the privacy provider of local_moodlemcp on the DEV Moodle (run as the web user; see README.md here):
// creates one connection for sso.student through the flow's classes, then runs the provider's metadata, contexts,
// users, export (to a zip, printed) and deletion, and says what the deletion removed.
// Usage: cd /opt/moodle && sudo -u www-data php /path/to/privacy-check.php   (needs setup-connect.sh first)
define('CLI_SCRIPT', true);
require(getcwd() . '/config.php');
use local_moodlemcp\connect\{flow, request};
$user = $DB->get_record('user', ['username' => 'sso.student'], '*', MUST_EXIST);
\core\session\manager::set_user($user);
$flow = flow::for_site();
$params = ['return_to' => 'http://127.0.0.1:3999/oauth/moodle/callback', 'state' => str_repeat('s', 20),
    'code_challenge' => str_repeat('A', 43), 'code_challenge_method' => 'S256', 'client' => 'Privacy check', 'gateway' => 'CLI', 'valid_until' => '0'];
$url = $flow->connect(request::from_params($params, $flow->settings(), time()), (int)$user->id);
echo "connect: ", preg_replace('/code=[^&]+/', 'code=…', $url), "\n";
$collection = \local_moodlemcp\privacy\provider::get_metadata(new \core_privacy\local\metadata\collection('local_moodlemcp'));
echo "metadata: ", implode(', ', array_map(fn($i) => $i->get_name(), $collection->get_collection())), "\n";
$contexts = \local_moodlemcp\privacy\provider::get_contexts_for_userid($user->id);
echo "contexts: ", implode(',', $contexts->get_contextids()), " (user context ", context_user::instance($user->id)->id, ")\n";
$userlist = new \core_privacy\local\request\userlist(context_user::instance($user->id), 'local_moodlemcp');
\local_moodlemcp\privacy\provider::get_users_in_context($userlist);
echo "users in context: ", implode(',', $userlist->get_userids()), "\n";
$approved = new \core_privacy\local\request\approved_contextlist($user, 'local_moodlemcp', $contexts->get_contextids());
\local_moodlemcp\privacy\provider::export_user_data($approved);
$zip = \core_privacy\local\request\writer::with_context(context_system::instance())->finalise_content();
echo "export file: ", basename($zip), "\n";
$tmp = make_request_directory(); $z = new ZipArchive(); $z->open($zip); $z->extractTo($tmp); $z->close();
foreach (new RecursiveIteratorIterator(new RecursiveDirectoryIterator($tmp, FilesystemIterator::SKIP_DOTS)) as $f) {
    if (str_contains($f->getPathname(), 'moodle-mcp connections')) { echo "exported ", substr($f->getPathname(), strlen($tmp)), ": ", file_get_contents($f->getPathname()), "\n"; }
}
$before = $DB->count_records('external_tokens', ['userid' => $user->id]);
\local_moodlemcp\privacy\provider::delete_data_for_user($approved);
echo "delete: plugin rows ", $DB->count_records('local_moodlemcp_tokens', ['userid' => $user->id]) + $DB->count_records('local_moodlemcp_codes', ['userid' => $user->id]),
    ", external_tokens of the user ", $before, " -> ", $DB->count_records('external_tokens', ['userid' => $user->id]), "\n";
