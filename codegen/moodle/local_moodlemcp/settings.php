<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * Settings of the connect flow: Site administration > Plugins > Local plugins > moodle-mcp gateway.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

defined('MOODLE_INTERNAL') || die();

if ($hassiteconfig) {
    $settings = new admin_settingpage('local_moodlemcp', get_string('pluginname', 'local_moodlemcp'));
    $ADMIN->add('localplugins', $settings);
    if ($ADMIN->fulltree) {
        $settings->add(new admin_setting_heading('local_moodlemcp/connect', get_string('connectheading', 'local_moodlemcp'),
            get_string('connectheading_desc', 'local_moodlemcp')));
        $settings->add(new \local_moodlemcp\admin\setting_return_urls('local_moodlemcp/connectreturnurls',
            get_string('connectreturnurls', 'local_moodlemcp'), get_string('connectreturnurls_desc', 'local_moodlemcp'), ''));
        $settings->add(new \local_moodlemcp\admin\setting_secret('local_moodlemcp/connectsecret',
            get_string('connectsecret', 'local_moodlemcp'), get_string('connectsecret_desc', 'local_moodlemcp'), ''));
        $settings->add(new admin_setting_configtext('local_moodlemcp/connectservice', get_string('connectservice', 'local_moodlemcp'),
            get_string('connectservice_desc', 'local_moodlemcp'), \local_moodlemcp\connect\settings::DEFAULT_SERVICE, PARAM_ALPHANUMEXT));
        $settings->add(new admin_setting_configtext('local_moodlemcp/connectmaxdays', get_string('connectmaxdays', 'local_moodlemcp'),
            get_string('connectmaxdays_desc', 'local_moodlemcp'), \local_moodlemcp\connect\settings::DEFAULT_MAX_DAYS, PARAM_INT));
    }
}
