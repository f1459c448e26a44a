<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * Server to server: deletes a token the connect flow issued (possession of the token is the authorisation).
 * Answers {"revoked":true} or {"revoked":false}. See classes/connect/flow.php revoke().
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

define('NO_MOODLE_COOKIES', true);
define('AJAX_SCRIPT', true);

require(__DIR__ . '/../../config.php');

\local_moodlemcp\connect\http::serve_post(fn(array $fields) => \local_moodlemcp\connect\flow::for_site()->revoke($fields));
