<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * What the connect flow asks of the site: clock, users' rights, external services and tokens.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

namespace local_moodlemcp\connect;

/**
 * The site as the connect flow sees it (moodle_environment on a real site, a test double in the PHP harness).
 */
interface environment {
    /**
     * Current time (unix seconds).
     *
     * @return int
     */
    public function now(): int;

    /**
     * The external service with this shortname when it exists and is enabled.
     *
     * @param string $shortname
     * @return \stdClass|null record of external_services
     */
    public function enabled_service(string $shortname): ?\stdClass;

    /**
     * Whether the user is the guest user.
     *
     * @param int $userid
     * @return bool
     */
    public function is_guest(int $userid): bool;

    /**
     * Whether the current session is an administrator's "Log in as" another user.
     *
     * @return bool
     */
    public function logged_in_as(): bool;

    /**
     * Whether the user is a site administrator.
     *
     * @param int $userid
     * @return bool
     */
    public function is_siteadmin(int $userid): bool;

    /**
     * Whether the user has local/moodlemcp:connect in the system context.
     *
     * @param int $userid
     * @return bool
     */
    public function can_connect(int $userid): bool;

    /**
     * Whether the user may hold a token of the service (its required capability, its authorised users list).
     *
     * @param \stdClass $service
     * @param int $userid
     * @return bool
     */
    public function can_use_service(\stdClass $service, int $userid): bool;

    /**
     * Creates a new permanent token of the service for the user in the system context.
     *
     * @param \stdClass $service
     * @param int $userid
     * @param int $validuntil unix seconds, 0 = no expiry
     * @param string $name token name
     * @return int the token's id (external_tokens.id)
     */
    public function create_token(\stdClass $service, int $userid, int $validuntil, string $name): int;

    /**
     * A token by id.
     *
     * @param int $tokenid
     * @return \stdClass|null record with id, token, userid, validuntil, name, lastaccess
     */
    public function token(int $tokenid): ?\stdClass;

    /**
     * The id of the token with this value.
     *
     * @param string $token
     * @return int|null
     */
    public function token_id(string $token): ?int;

    /**
     * Deletes a token (nothing happens when it is already gone).
     *
     * @param int $tokenid
     */
    public function delete_token(int $tokenid): void;

    /**
     * The ids, among the given ones, of tokens that still exist.
     *
     * @param int[] $tokenids
     * @return int[]
     */
    public function existing_token_ids(array $tokenids): array;
}
