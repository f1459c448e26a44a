<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * Server to server: the gateway exchanges a one-time code (with its verifier and the shared secret) for the token
 * issued by connect.php. JSON answers only. See classes/connect/flow.php redeem().
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

define('NO_MOODLE_COOKIES', true);
define('AJAX_SCRIPT', true);

require(__DIR__ . '/../../config.php');

\local_moodlemcp\connect\http::serve_post(fn(array $fields) => \local_moodlemcp\connect\flow::for_site()->redeem($fields));
