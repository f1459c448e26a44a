<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * Public, no login: tells the gateway that the plugin is installed, its release, and whether the connect flow is
 * enabled (so that it offers "Sign in with <site>").
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

define('NO_MOODLE_COOKIES', true);
define('AJAX_SCRIPT', true);

require(__DIR__ . '/../../config.php');

$info = core_plugin_manager::instance()->get_plugin_info('local_moodlemcp');
\local_moodlemcp\connect\http::send_json(200, [
    'component' => 'local_moodlemcp',
    'release' => (string)($info->release ?? ''),
    'connect' => ['enabled' => \local_moodlemcp\connect\flow::for_site()->enabled()],
]);
