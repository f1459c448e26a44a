<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * Keeps the connect secret out of admin preset exports.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

namespace local_moodlemcp\admin;

/**
 * Moodle's admin presets export every setting except those listed in "Settings with passwords"
 * (adminpresets | sensiblesettings, "name@@plugin" entries separated by commas). The plugin adds its secret there.
 */
class presets {
    /** The secret's entry in that list. */
    const SECRET_ENTRY = 'connectsecret@@local_moodlemcp';

    /**
     * Adds the connect secret to the list of settings presets leave out, keeping every existing entry.
     *
     * @return bool whether the list changed
     */
    public static function protect_secret(): bool {
        $current = (string)get_config('adminpresets', 'sensiblesettings');
        $entries = array_values(array_filter(array_map('trim', explode(',', $current)), 'strlen'));
        if (in_array(self::SECRET_ENTRY, $entries, true)) {
            return false;
        }
        $entries[] = self::SECRET_ENTRY;
        set_config('sensiblesettings', implode(', ', $entries), 'adminpresets');
        return true;
    }
}
