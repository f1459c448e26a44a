<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * The parameters of a connect.php request, checked.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

namespace local_moodlemcp\connect;

/**
 * return_to, state, code_challenge (S256), client, gateway and valid_until of a connect request.
 */
class request {
    /** Longest client or gateway display name (characters). */
    public const MAX_NAME_LENGTH = 100;

    /** @var string gateway callback URL (one of connectreturnurls) */
    public $returnto;
    /** @var string opaque gateway state */
    public $state;
    /** @var string base64url(SHA-256(verifier)) */
    public $codechallenge;
    /** @var string client display name */
    public $client;
    /** @var string gateway display name */
    public $gateway;
    /** @var int requested expiry (unix seconds), 0 = none */
    public $validuntil;

    /**
     * Checks the query parameters of connect.php.
     *
     * @param array $params name => string value (missing ones absent)
     * @param settings $settings for the allowed callback URLs
     * @param int $now current time
     * @return self
     * @throws request_error naming the first parameter at fault
     */
    public static function from_params(array $params, settings $settings, int $now): self {
        $get = function(string $name) use ($params): string {
            $value = $params[$name] ?? null;
            if ($value === null || $value === '') {
                throw new request_error($name, 'is missing');
            }
            if (!is_string($value)) {
                throw new request_error($name, 'must be a single text value');
            }
            return $value;
        };
        $request = new self();
        $request->returnto = $get('return_to');
        if (!$settings->allows_return_url($request->returnto)) {
            throw new request_error('return_to', 'is not one of the callback URLs allowed in the plugin settings (connectreturnurls)');
        }
        $request->state = $get('state');
        if (!preg_match('/^[A-Za-z0-9_-]{16,128}$/', $request->state)) {
            throw new request_error('state', 'must be 16 to 128 characters from A-Z a-z 0-9 _ -');
        }
        $request->codechallenge = $get('code_challenge');
        if (!preg_match('/^[A-Za-z0-9_-]{43}$/', $request->codechallenge)) {
            throw new request_error('code_challenge', 'must be 43 base64url characters (SHA-256 of the verifier)');
        }
        if ($get('code_challenge_method') !== 'S256') {
            throw new request_error('code_challenge_method', 'must be S256');
        }
        $request->client = self::display_name('client', $get('client'));
        $request->gateway = self::display_name('gateway', $get('gateway'));
        $validuntil = $get('valid_until');
        if (!preg_match('/^[0-9]{1,10}$/', $validuntil)) {
            throw new request_error('valid_until', 'must be unix seconds (0 = no expiry)');
        }
        $request->validuntil = (int)$validuntil;
        if ($request->validuntil !== 0 && $request->validuntil <= $now) {
            throw new request_error('valid_until', 'is in the past');
        }
        return $request;
    }

    /**
     * A display name: valid UTF-8, no control characters or bidirectional overrides, at most MAX_NAME_LENGTH characters, surrounding spaces trimmed.
     *
     * @param string $field
     * @param string $value
     * @return string
     */
    private static function display_name(string $field, string $value): string {
        if (!mb_check_encoding($value, 'UTF-8')) {
            throw new request_error($field, 'must be UTF-8 text');
        }
        // Control characters, and the bidirectional marks and overrides that would make the confirm page show the name
        // as other text (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069).
        if (preg_match('/[\x00-\x1f\x7f\x{061C}\x{200E}\x{200F}\x{202A}-\x{202E}\x{2066}-\x{2069}]/u', $value)) {
            throw new request_error($field, 'must not contain control characters');
        }
        $value = trim($value);
        if ($value === '') {
            throw new request_error($field, 'is missing');
        }
        if (mb_strlen($value, 'UTF-8') > self::MAX_NAME_LENGTH) {
            throw new request_error($field, 'must be at most ' . self::MAX_NAME_LENGTH . ' characters');
        }
        return $value;
    }

    /**
     * The query parameters that carry this request (for the confirm page's buttons).
     *
     * @return array
     */
    public function params(): array {
        return [
            'return_to' => $this->returnto,
            'state' => $this->state,
            'code_challenge' => $this->codechallenge,
            'code_challenge_method' => 'S256',
            'client' => $this->client,
            'gateway' => $this->gateway,
            'valid_until' => (string)$this->validuntil,
        ];
    }
}
