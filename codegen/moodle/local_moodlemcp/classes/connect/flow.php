<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * The connect flow: a signed-in person connects an MCP client through the moodle-mcp gateway; the plugin issues a
 * new token for that connection and hands it to the gateway through a one-time code bound to the gateway's verifier
 * (PKCE S256) and shared secret. Also the gateway's revocation of such tokens.
 *
 * Tables: local_moodlemcp_tokens (the tokens this flow issued) and local_moodlemcp_codes (one-time codes; only the
 * SHA-256 of a code is stored).
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

namespace local_moodlemcp\connect;

/**
 * Connect, redeem, revoke and purge, over Moodle's DML API ($DB) and an environment (users' rights and tokens).
 */
class flow {
    /** Seconds a one-time code may be redeemed after it was issued. */
    public const CODE_LIFETIME = 120;
    /** Prefix of the names of the tokens this flow issues. */
    public const TOKEN_NAME_PREFIX = 'moodle-mcp: ';
    /** Size of external_tokens.name. */
    public const TOKEN_NAME_LENGTH = 255;
    /** Table of the tokens this flow issued. */
    public const TOKENS = 'local_moodlemcp_tokens';
    /** Table of the one-time codes. */
    public const CODES = 'local_moodlemcp_codes';

    /** @var object Moodle's $DB (moodle_database) or a test double */
    private $db;
    /** @var environment */
    private $env;
    /** @var settings */
    private $settings;

    /**
     * @param object $db Moodle's $DB
     * @param environment $env the site
     * @param settings $settings the plugin's connect settings
     */
    public function __construct($db, environment $env, settings $settings) {
        $this->db = $db;
        $this->env = $env;
        $this->settings = $settings;
    }

    /**
     * The flow of this site: $DB, moodle_environment and the plugin's configuration.
     *
     * @return self
     */
    public static function for_site(): self {
        global $DB;
        return new self($DB, new moodle_environment(), settings::from_config(get_config('local_moodlemcp')));
    }

    /**
     * The settings the flow runs with.
     *
     * @return settings
     */
    public function settings(): settings {
        return $this->settings;
    }

    /**
     * The service tokens are issued for, when the flow is enabled (secret and callback URLs set, service enabled).
     *
     * @return \stdClass|null
     */
    public function enabled_service(): ?\stdClass {
        return $this->settings->configured() ? $this->env->enabled_service($this->settings->service) : null;
    }

    /**
     * Whether the flow is enabled.
     *
     * @return bool
     */
    public function enabled(): bool {
        return $this->enabled_service() !== null;
    }

    /**
     * Why the signed-in user cannot connect, or null when they can.
     *
     * @param int $userid
     * @return array|null [error code, description]
     */
    public function refusal(int $userid): ?array {
        if ($userid <= 0 || $this->env->is_guest($userid)) {
            return ['nopermission', 'Guests cannot connect.'];
        }
        $service = $this->enabled_service();
        if ($service === null) {
            return ['unavailable', 'Connecting through moodle-mcp is not enabled on this site.'];
        }
        if ($this->env->is_siteadmin($userid)) {
            return ['siteadmin', 'Site administrators cannot connect MCP clients.'];
        }
        if ($this->env->logged_in_as()) {
            // The token would outlive the "Log in as" session and act as the other person.
            return ['nopermission', 'You cannot connect while logged in as another user.'];
        }
        if (!$this->env->can_connect($userid)) {
            return ['nopermission', 'You are not allowed to connect MCP clients (local/moodlemcp:connect).'];
        }
        if (!$this->env->can_use_service($service, $userid)) {
            return ['nopermission', 'You are not allowed to use the web service this site issues tokens for.'];
        }
        return null;
    }

    /**
     * The redirect to the gateway's callback that reports an error.
     *
     * @param request $request
     * @param string $error access_denied, siteadmin, nopermission, unavailable or server_error
     * @param string $description
     * @return string URL
     */
    public function error_url(request $request, string $error, string $description): string {
        return self::with_query($request->returnto, ['error' => $error, 'error_description' => $description,
            'state' => $request->state]);
    }

    /**
     * The person pressed Connect: issues a new token and a one-time code for it (or reports why not).
     *
     * @param request $request
     * @param int $userid the signed-in user
     * @return string URL of the gateway's callback with code and state (or error, error_description and state)
     */
    public function connect(request $request, int $userid): string {
        $refusal = $this->refusal($userid);
        if ($refusal !== null) {
            return $this->error_url($request, ...$refusal);
        }
        $this->purge_expired_codes();
        $now = $this->env->now();
        $service = $this->enabled_service();
        $code = self::base64url(random_bytes(32));
        $transaction = $this->db->start_delegated_transaction();
        $tokenid = $this->env->create_token($service, $userid, $this->token_valid_until($request->validuntil, $now),
            $this->token_name($request));
        $this->db->insert_record(self::TOKENS, (object)['userid' => $userid, 'tokenid' => $tokenid, 'timecreated' => $now]);
        $this->db->insert_record(self::CODES, (object)[
            'codehash' => hash('sha256', $code),
            'userid' => $userid,
            'tokenid' => $tokenid,
            'codechallenge' => $request->codechallenge,
            'returnurl' => $request->returnto,
            'timecreated' => $now,
            'timeexpires' => $now + self::CODE_LIFETIME,
        ]);
        $transaction->allow_commit();
        return self::with_query($request->returnto, ['code' => $code, 'state' => $request->state]);
    }

    /**
     * The expiry of a new token: the requested one, capped at now + connectmaxdays (0 = no expiry).
     *
     * @param int $requested unix seconds, 0 = none
     * @param int $now
     * @return int
     */
    public function token_valid_until(int $requested, int $now): int {
        if ($this->settings->maxdays <= 0) {
            return $requested;
        }
        $cap = $now + $this->settings->maxdays * DAYSECS;
        return $requested === 0 ? $cap : min($requested, $cap);
    }

    /**
     * "moodle-mcp: <client> via <gateway>", cut to the size of external_tokens.name. Moodle prints token names without
     * escaping them (Manage tokens, Security keys: names are expected from administrators), while the client and gateway
     * names come from the connect URL: the characters that make HTML (< > " ' `) are dropped from them.
     *
     * @param request $request
     * @return string
     */
    public function token_name(request $request): string {
        $plain = fn(string $text): string => trim(str_replace(['<', '>', '"', "'", '`'], '', $text));
        $name = self::TOKEN_NAME_PREFIX . $plain($request->client) . ' via ' . $plain($request->gateway);
        return mb_substr($name, 0, self::TOKEN_NAME_LENGTH, 'UTF-8');
    }

    /**
     * redeem.php: the gateway exchanges a code for its token (server to server).
     *
     * @param array $fields the POST fields: code, code_verifier, redirect_uri, secret
     * @return array [HTTP status, JSON body]
     */
    public function redeem(array $fields): array {
        if (!$this->enabled()) {
            return self::failure(401, 'invalid_client', 'Connecting through moodle-mcp is not enabled on this site.');
        }
        $secret = self::field($fields, 'secret');
        if ($secret === '') {
            return self::failure(401, 'invalid_client', 'secret is missing.');
        }
        if (!hash_equals($this->settings->secret, $secret)) {
            return self::failure(401, 'invalid_client', 'secret is wrong.');
        }
        foreach (['code', 'code_verifier', 'redirect_uri'] as $name) {
            if (self::field($fields, $name) === '') {
                return self::failure(400, 'invalid_request', "{$name} is missing.");
            }
        }
        $verifier = self::field($fields, 'code_verifier');
        if (!preg_match('/^[A-Za-z0-9._~-]{43,128}$/', $verifier)) {
            return self::failure(400, 'invalid_request', 'code_verifier must be 43 to 128 characters from A-Z a-z 0-9 - . _ ~.');
        }
        $this->purge_expired_codes();
        $code = $this->db->get_record(self::CODES, ['codehash' => hash('sha256', self::field($fields, 'code'))]);
        if (!$code) {
            return self::failure(400, 'invalid_grant', 'The code is unknown, expired or already used.');
        }
        if ($code->redemption !== null) {
            $this->revoke_token((int)$code->tokenid);
            return self::failure(400, 'invalid_grant', 'The code was already used; the token it issued has been revoked.');
        }
        // Claim the code; of two concurrent redeems only the one whose claim is read back wins.
        $claim = bin2hex(random_bytes(16));
        $this->db->execute('UPDATE {' . self::CODES . '} SET redemption = :claim, timeredeemed = :now
                             WHERE id = :id AND redemption IS NULL', ['claim' => $claim, 'now' => $this->env->now(), 'id' => $code->id]);
        if ($this->db->get_field(self::CODES, 'redemption', ['id' => $code->id]) !== $claim) {
            $this->revoke_token((int)$code->tokenid);
            return self::failure(400, 'invalid_grant', 'The code was already used; the token it issued has been revoked.');
        }
        // A failed check uses the code up too: its token is deleted and the flow must start again.
        if (!hash_equals((string)$code->returnurl, self::field($fields, 'redirect_uri'))) {
            $this->revoke_token((int)$code->tokenid);
            return self::failure(400, 'invalid_grant', 'redirect_uri does not match the return_to the code was issued for.');
        }
        if (!hash_equals((string)$code->codechallenge, self::base64url(hash('sha256', $verifier, true)))) {
            $this->revoke_token((int)$code->tokenid);
            return self::failure(400, 'invalid_grant', 'code_verifier does not match the code_challenge.');
        }
        $token = $this->env->token((int)$code->tokenid);
        if ($token === null) {
            $this->forget_token((int)$code->tokenid);
            return self::failure(400, 'invalid_grant', 'The token of this code no longer exists.');
        }
        return [200, ['token' => (string)$token->token, 'userid' => (int)$token->userid,
            'validuntil' => (int)($token->validuntil ?? 0), 'service' => $this->settings->service]];
    }

    /**
     * revoke.php: deletes a token this flow issued. Possession of the token is the authorisation.
     *
     * @param array $fields the POST fields: token
     * @return array [HTTP status, JSON body]
     */
    public function revoke(array $fields): array {
        $token = self::field($fields, 'token');
        if ($token === '') {
            return self::failure(400, 'invalid_request', 'token is missing.');
        }
        $tokenid = $this->env->token_id($token);
        if ($tokenid === null || !$this->db->record_exists(self::TOKENS, ['tokenid' => $tokenid])) {
            return [200, ['revoked' => false]];
        }
        $this->revoke_token($tokenid);
        return [200, ['revoked' => true]];
    }

    /**
     * The person's connections (tokens this flow issued to them that still exist), newest first.
     *
     * @param int $userid
     * @return array list of ['tokenid', 'name', 'timecreated', 'validuntil', 'lastaccess'] (0 when unset)
     */
    public function connections(int $userid): array {
        $connections = [];
        foreach ($this->db->get_records(self::TOKENS, ['userid' => $userid], 'timecreated DESC, id DESC', 'id, tokenid, timecreated') as $row) {
            $token = $this->env->token((int)$row->tokenid);
            if ($token === null || (int)$token->userid !== $userid) {
                continue;
            }
            $connections[] = ['tokenid' => (int)$row->tokenid, 'name' => (string)$token->name, 'timecreated' => (int)$row->timecreated,
                'validuntil' => (int)($token->validuntil ?? 0), 'lastaccess' => (int)($token->lastaccess ?? 0)];
        }
        return $connections;
    }

    /**
     * The person ends one of their connections in Moodle (connections.php): deletes its token.
     *
     * @param int $userid the signed-in user
     * @param int $tokenid
     * @return bool false when the token is not one this flow issued to that person
     */
    public function revoke_own(int $userid, int $tokenid): bool {
        if (!$this->db->record_exists(self::TOKENS, ['userid' => $userid, 'tokenid' => $tokenid])) {
            return false;
        }
        $this->revoke_token($tokenid);
        return true;
    }

    /**
     * Deletes every token this flow issued and the plugin's rows (db/uninstall.php: once the plugin is gone nothing
     * lists them, and they would stay valid).
     *
     * @return int how many tokens were deleted
     */
    public function revoke_all(): int {
        $tokenids = [];
        foreach ([self::TOKENS, self::CODES] as $table) {
            foreach ($this->db->get_records($table, null, '', 'id, tokenid') as $row) {
                $tokenids[(int)$row->tokenid] = true;
            }
        }
        foreach (array_keys($tokenids) as $tokenid) {
            $this->revoke_token($tokenid);
        }
        return count($tokenids);
    }

    /**
     * Deletes the tokens of codes that expired unredeemed.
     *
     * @return int how many tokens were deleted
     */
    public function purge_expired_codes(): int {
        $expired = $this->db->get_records_select(self::CODES, 'redemption IS NULL AND timeexpires < :now',
            ['now' => $this->env->now()], '', 'id, tokenid');
        foreach ($expired as $code) {
            $this->revoke_token((int)$code->tokenid);
        }
        return count($expired);
    }

    /**
     * The scheduled clean-up: tokens of expired unredeemed codes, and the rows of tokens deleted in Moodle
     * (Security keys page, Manage tokens, expiry clean-up).
     *
     * @return array ['expired' => tokens deleted, 'gone' => rows of deleted tokens forgotten]
     */
    public function purge(): array {
        $expired = $this->purge_expired_codes();
        $gone = 0;
        $tokenids = array_map(fn($row) => (int)$row->tokenid, $this->db->get_records(self::TOKENS, null, '', 'id, tokenid'));
        foreach (array_chunk(array_values($tokenids), 500) as $chunk) {
            $existing = $this->env->existing_token_ids($chunk);
            foreach (array_diff($chunk, $existing) as $tokenid) {
                $this->forget_token($tokenid);
                $gone++;
            }
        }
        return ['expired' => $expired, 'gone' => $gone];
    }

    /**
     * Deletes a token and the plugin's rows about it.
     *
     * @param int $tokenid
     */
    private function revoke_token(int $tokenid): void {
        $this->env->delete_token($tokenid);
        $this->forget_token($tokenid);
    }

    /**
     * Deletes the plugin's rows about a token.
     *
     * @param int $tokenid
     */
    private function forget_token(int $tokenid): void {
        $this->db->delete_records(self::CODES, ['tokenid' => $tokenid]);
        $this->db->delete_records(self::TOKENS, ['tokenid' => $tokenid]);
    }

    /**
     * A text field of a form-encoded body ('' when missing or not text).
     *
     * @param array $fields
     * @param string $name
     * @return string
     */
    private static function field(array $fields, string $name): string {
        $value = $fields[$name] ?? '';
        return is_string($value) ? $value : '';
    }

    /**
     * An error answer.
     *
     * @param int $status
     * @param string $error
     * @param string $description
     * @return array
     */
    private static function failure(int $status, string $error, string $description): array {
        return [$status, ['error' => $error, 'error_description' => $description]];
    }

    /**
     * base64url without padding.
     *
     * @param string $bytes
     * @return string
     */
    public static function base64url(string $bytes): string {
        return rtrim(strtr(base64_encode($bytes), '+/', '-_'), '=');
    }

    /**
     * The URL with query parameters appended (after an existing query, before nothing: callback URLs have no fragment).
     *
     * @param string $url
     * @param array $params
     * @return string
     */
    public static function with_query(string $url, array $params): string {
        return $url . (strpos($url, '?') === false ? '?' : '&') . http_build_query($params, '', '&', PHP_QUERY_RFC3986);
    }
}
