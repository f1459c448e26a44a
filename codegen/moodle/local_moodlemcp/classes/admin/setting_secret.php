<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * Admin setting: the secret shared with the gateway.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

namespace local_moodlemcp\admin;

/**
 * A masked text field that must be empty (flow off) or at least settings::MIN_SECRET_LENGTH characters.
 */
class setting_secret extends \admin_setting_configpasswordunmask {
    /**
     * Refuses short secrets.
     *
     * @param string $data
     * @return true|string
     */
    public function validate($data) {
        $data = (string)$data;
        if ($data !== '' && strlen($data) < \local_moodlemcp\connect\settings::MIN_SECRET_LENGTH) {
            return get_string('connectsecret_short', 'local_moodlemcp', \local_moodlemcp\connect\settings::MIN_SECRET_LENGTH);
        }
        return parent::validate($data);
    }
}
