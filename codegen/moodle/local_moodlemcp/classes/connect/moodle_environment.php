<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * The connect flow's environment, answered by Moodle's APIs.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

namespace local_moodlemcp\connect;

/**
 * Clock, access API (is_siteadmin, has_capability), external services and tokens (\core_external\util).
 */
class moodle_environment implements environment {
    /**
     * time().
     *
     * @return int
     */
    public function now(): int {
        return time();
    }

    /**
     * The enabled external service with this shortname.
     *
     * @param string $shortname
     * @return \stdClass|null
     */
    public function enabled_service(string $shortname): ?\stdClass {
        global $DB;
        $service = $DB->get_record('external_services', ['shortname' => $shortname, 'enabled' => 1]);
        return $service ?: null;
    }

    /**
     * isguestuser().
     *
     * @param int $userid
     * @return bool
     */
    public function is_guest(int $userid): bool {
        return isguestuser($userid);
    }

    /**
     * \core\session\manager::is_loggedinas().
     *
     * @return bool
     */
    public function logged_in_as(): bool {
        return \core\session\manager::is_loggedinas();
    }

    /**
     * is_siteadmin().
     *
     * @param int $userid
     * @return bool
     */
    public function is_siteadmin(int $userid): bool {
        return is_siteadmin($userid);
    }

    /**
     * local/moodlemcp:connect in the system context.
     *
     * @param int $userid
     * @return bool
     */
    public function can_connect(int $userid): bool {
        return has_capability('local/moodlemcp:connect', \context_system::instance(), $userid);
    }

    /**
     * The service's required capability (system context) and, for a service restricted to authorised users, an
     * authorisation that has not expired.
     *
     * @param \stdClass $service
     * @param int $userid
     * @return bool
     */
    public function can_use_service(\stdClass $service, int $userid): bool {
        global $DB;
        if (!empty($service->requiredcapability)
                && !has_capability($service->requiredcapability, \context_system::instance(), $userid)) {
            return false;
        }
        if (!empty($service->restrictedusers)) {
            $authorised = $DB->get_record('external_services_users', ['externalserviceid' => $service->id, 'userid' => $userid]);
            if (!$authorised || (!empty($authorised->validuntil) && $authorised->validuntil < time())) {
                return false;
            }
        }
        return true;
    }

    /**
     * \core_external\util::generate_token() (permanent, system context, no IP restriction).
     *
     * generate_token() leaves the new token's id in $SESSION->webservicenewlycreatedtoken, and Preferences > Security keys
     * (/user/managetoken.php, open to everyone) then prints that token's value once: the session is put back as it was,
     * since this token is for the gateway only.
     *
     * @param \stdClass $service
     * @param int $userid
     * @param int $validuntil
     * @param string $name
     * @return int
     */
    public function create_token(\stdClass $service, int $userid, int $validuntil, string $name): int {
        global $DB, $SESSION;
        $before = $SESSION->webservicenewlycreatedtoken ?? null;
        try {
            $token = \core_external\util::generate_token(EXTERNAL_TOKEN_PERMANENT, $service, $userid, \context_system::instance(),
                $validuntil, '', $name);
        } finally {
            if ($before === null) {
                unset($SESSION->webservicenewlycreatedtoken);
            } else {
                $SESSION->webservicenewlycreatedtoken = $before;
            }
        }
        return (int)$DB->get_field('external_tokens', 'id', ['token' => $token], MUST_EXIST);
    }

    /**
     * A token by id.
     *
     * @param int $tokenid
     * @return \stdClass|null
     */
    public function token(int $tokenid): ?\stdClass {
        global $DB;
        $token = $DB->get_record('external_tokens', ['id' => $tokenid], 'id, token, userid, validuntil, name, lastaccess');
        return $token ?: null;
    }

    /**
     * The id of a permanent token by its value.
     *
     * @param string $token
     * @return int|null
     */
    public function token_id(string $token): ?int {
        global $DB;
        $id = $DB->get_field('external_tokens', 'id', ['token' => $token, 'tokentype' => EXTERNAL_TOKEN_PERMANENT]);
        return $id ? (int)$id : null;
    }

    /**
     * Deletes the token row.
     *
     * @param int $tokenid
     */
    public function delete_token(int $tokenid): void {
        global $DB;
        $DB->delete_records('external_tokens', ['id' => $tokenid]);
    }

    /**
     * The ids, among the given ones, that are still in external_tokens.
     *
     * @param int[] $tokenids
     * @return int[]
     */
    public function existing_token_ids(array $tokenids): array {
        global $DB;
        if (!$tokenids) {
            return [];
        }
        [$insql, $params] = $DB->get_in_or_equal($tokenids, SQL_PARAMS_NAMED);
        return array_map('intval', $DB->get_fieldset_select('external_tokens', 'id', "id {$insql}", $params));
    }
}
