<?php
// Configures the DEV Moodle for the connect flow of local_moodlemcp (run by setup-connect.sh as the web user):
// plugin settings, the loopback curl exceptions, an OpenID Connect issuer (the dev IdP of oidc-idp.mjs) with
// auth_oauth2 enabled, and SSO accounts that have no password login/token.php accepts. Re-runnable.
// Usage: php connect-setup.php <moodle dir> <idp.json> <connect secret file> [<mfa.json>]
// With mfa.json: also multi-factor authentication (tool_mfa) with TOTP for one manual account (mfa.student).
// Never run it against a production site: it lifts the curl protection for 127.0.0.1 and localhost.

define('CLI_SCRIPT', true);
[$script, $moodledir, $idpfile, $secretfile, $mfafile] = array_pad($argv, 5, null);
if (!$moodledir || !$idpfile || !$secretfile) {
    fwrite(STDERR, "usage: php connect-setup.php <moodle dir> <idp.json> <connect secret file>\n");
    exit(2);
}
require($moodledir . '/config.php');
require_once($CFG->dirroot . '/user/lib.php');
require_once($CFG->libdir . '/enrollib.php');

set_exception_handler(function(Throwable $e) {
    fwrite(STDERR, 'connect-setup: ' . get_class($e) . ': ' . $e->getMessage() . (isset($e->debuginfo) ? " ({$e->debuginfo})" : '') . "\n");
    exit(1);
});
$idp = json_decode(file_get_contents($idpfile), true, 16, JSON_THROW_ON_ERROR);
$secret = trim(file_get_contents($secretfile));
\core\session\manager::set_user(get_admin());

// 1. The plugin's settings (return URLs of the gateway tests' callback, secret, service, cap).
set_config('connectreturnurls', implode("\n", $idp['gateway_callbacks']), 'local_moodlemcp');
set_config('connectsecret', $secret, 'local_moodlemcp');
set_config('connectservice', 'mcp', 'local_moodlemcp');
set_config('connectmaxdays', 90, 'local_moodlemcp');
echo "local_moodlemcp: connectreturnurls = " . implode(', ', $idp['gateway_callbacks']) . "; connectservice = mcp; connectmaxdays = 90; connectsecret set (" . strlen($secret) . " chars)\n";

// 2. Let Moodle's curl reach the IdP on 127.0.0.1:<port> (dev site only).
$blocked = array_filter(array_map('trim', explode("\n", (string)get_config('core', 'curlsecurityblockedhosts'))),
    fn($h) => $h !== '' && !in_array($h, ['127.0.0.0/8', 'localhost', '127.0.0.1'], true));
set_config('curlsecurityblockedhosts', implode("\n", $blocked));
$ports = array_filter(array_map('trim', explode("\n", (string)get_config('core', 'curlsecurityallowedport'))));
if ($ports && !in_array((string)$idp['port'], $ports, true)) {
    $ports[] = (string)$idp['port'];
    set_config('curlsecurityallowedport', implode("\n", $ports));
}
echo "curl: 127.0.0.0/8 and localhost unblocked; allowed ports: " . ($ports ? implode(',', $ports) : 'all') . "\n";

// 3. The issuer (found by name; discovery re-run so its endpoints follow the IdP).
$name = 'Northbridge SSO (dev)';
$issuer = null;
foreach (\core\oauth2\api::get_all_issuers(true) as $candidate) {
    if ($candidate->get('name') === $name) {
        $issuer = $candidate;
    }
}
$fields = ['baseurl' => $idp['issuer'], 'clientid' => $idp['client']['client_id'], 'clientsecret' => $idp['client']['client_secret'],
    'image' => '', 'loginscopes' => 'openid profile email', 'loginscopesoffline' => 'openid profile email', 'basicauth' => 0,
    'showonloginpage' => \core\oauth2\issuer::LOGINONLY, 'enabled' => 1, 'requireconfirmation' => 0];
if ($issuer === null) {
    $issuer = \core\oauth2\api::create_issuer((object)(['name' => $name] + $fields));
} else {
    foreach ($fields as $field => $value) {
        $issuer->set($field, $value);
    }
    $issuer->update();
    \core\oauth2\discovery\openidconnect::discover_endpoints($issuer);
}
$endpoints = array_map(fn($e) => $e->get('name'), \core\oauth2\api::get_endpoints($issuer));
if (!in_array('authorization_endpoint', $endpoints, true) || !in_array('userinfo_endpoint', $endpoints, true)) {
    fwrite(STDERR, "issuer discovery failed (endpoints: " . implode(', ', $endpoints) . "); is the IdP running on {$idp['issuer']}?\n");
    exit(1);
}
echo "issuer: id " . $issuer->get('id') . " '{$name}' at {$idp['issuer']}, endpoints " . implode(', ', $endpoints) . "\n";

// 4. auth_oauth2 enabled (manual stays: it is always on).
$auths = array_filter(explode(',', (string)get_config('core', 'auth')));
if (!in_array('oauth2', $auths, true)) {
    $auths[] = 'oauth2';
    set_config('auth', implode(',', $auths));
    \core\session\manager::gc();
}
echo "auth: enabled plugins = " . get_config('core', 'auth') . "\n";

// 5. SSO accounts: auth oauth2 (no local password), linked to the IdP login, enrolled as students in course 2 (PM101).
$student = $DB->get_record('role', ['shortname' => 'student'], '*', MUST_EXIST);
$manual = enrol_get_plugin('manual');
$instance = $DB->get_record('enrol', ['courseid' => 2, 'enrol' => 'manual'], '*', MUST_EXIST);
foreach ($idp['users'] as $login => $person) {
    $user = $DB->get_record('user', ['username' => $login, 'mnethostid' => $CFG->mnet_localhost_id]);
    if (!$user) {
        $id = user_create_user((object)['username' => $login, 'auth' => 'oauth2', 'confirmed' => 1,
            'mnethostid' => $CFG->mnet_localhost_id, 'firstname' => $person['given_name'], 'lastname' => $person['family_name'],
            'email' => $person['email'], 'password' => ''], false);
        $user = $DB->get_record('user', ['id' => $id], '*', MUST_EXIST);
    } else if ($user->auth !== 'oauth2') {
        $DB->set_field('user', 'auth', 'oauth2', ['id' => $user->id]);
    }
    // The password column holds no usable hash: login/token.php cannot authenticate this account.
    $DB->set_field('user', 'password', AUTH_PASSWORD_NOT_CACHED, ['id' => $user->id]);
    $linkname = core_text::strtolower($person['email']);
    if (!\auth_oauth2\linked_login::has_existing_issuer_match($issuer, $linkname)) {
        \auth_oauth2\api::link_login(['username' => $linkname, 'email' => $person['email']], $issuer, (int)$user->id, true);
    }
    if (!is_enrolled(context_course::instance(2), $user)) {
        $manual->enrol_user($instance, $user->id, $student->id);
    }
    echo "user: {$login} (id {$user->id}, auth oauth2, linked to IdP login {$linkname}, student in course 2)\n";
}

// 6. Optional: multi-factor (tool_mfa) with TOTP for mfa.student (manual account); everyone without a factor set up
// passes through the "no other factors" factor, so other accounts sign in as before.
if ($mfafile) {
    $mfa = json_decode(file_get_contents($mfafile), true, 16, JSON_THROW_ON_ERROR);
    set_config('enabled', 1, 'tool_mfa');
    foreach (['totp', 'nosetup'] as $factor) {
        set_config('enabled', 1, "factor_{$factor}");
        set_config('weight', 100, "factor_{$factor}");
    }
    $user = $DB->get_record('user', ['username' => $mfa['username'], 'mnethostid' => $CFG->mnet_localhost_id]);
    if (!$user) {
        $id = user_create_user((object)['username' => $mfa['username'], 'auth' => 'manual', 'confirmed' => 1,
            'mnethostid' => $CFG->mnet_localhost_id, 'firstname' => 'Mia', 'lastname' => 'Factorsen',
            'email' => 'mfa.student@northbridge.example', 'password' => $mfa['password']], true);
        $user = $DB->get_record('user', ['id' => $id], '*', MUST_EXIST);
    }
    update_internal_user_password($user, $mfa['password']);
    if (!is_enrolled(context_course::instance(2), $user)) {
        $manual->enrol_user($instance, $user->id, $student->id);
    }
    $DB->delete_records('tool_mfa', ['userid' => $user->id, 'factor' => 'totp']);
    $DB->insert_record('tool_mfa', (object)['userid' => $user->id, 'factor' => 'totp', 'secret' => $mfa['totpsecret'],
        'label' => 'dev authenticator', 'timecreated' => time(), 'createdfromip' => '127.0.0.1', 'timemodified' => time(),
        'lastverified' => 0, 'revoked' => 0, 'lockcounter' => 0]);
    echo "mfa: tool_mfa on (factors totp and nosetup, 100 points each); user {$mfa['username']} (id {$user->id}, manual, "
        . "TOTP set up, student in course 2)\n";
}
