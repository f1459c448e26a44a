<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * The connect flow's settings (Site administration > Plugins > Local plugins > moodle-mcp gateway).
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

namespace local_moodlemcp\connect;

/**
 * connectreturnurls, connectsecret, connectservice and connectmaxdays, parsed.
 */
class settings {
    /** Default external service shortname. */
    public const DEFAULT_SERVICE = 'mcp';
    /** Default cap on a token's lifetime, in days. */
    public const DEFAULT_MAX_DAYS = 90;
    /** Shortest accepted shared secret. */
    public const MIN_SECRET_LENGTH = 32;

    /** @var string[] allowed gateway callback URLs (exact match) */
    public $returnurls;
    /** @var string shared secret ('' when unset or too short) */
    public $secret;
    /** @var string external service shortname */
    public $service;
    /** @var int cap on a token's lifetime in days, 0 = none */
    public $maxdays;

    /**
     * @param string[] $returnurls
     * @param string $secret
     * @param string $service
     * @param int $maxdays
     */
    public function __construct(array $returnurls, string $secret, string $service, int $maxdays) {
        $this->returnurls = array_values($returnurls);
        $this->secret = strlen($secret) >= self::MIN_SECRET_LENGTH ? $secret : '';
        $this->service = $service !== '' ? $service : self::DEFAULT_SERVICE;
        $this->maxdays = max(0, $maxdays);
    }

    /**
     * From the plugin's configuration (get_config('local_moodlemcp')).
     *
     * @param object $config
     * @return self
     */
    public static function from_config($config): self {
        $maxdays = $config->connectmaxdays ?? self::DEFAULT_MAX_DAYS;
        return new self(
            self::parse_return_urls((string)($config->connectreturnurls ?? '')),
            (string)($config->connectsecret ?? ''),
            trim((string)($config->connectservice ?? '')),
            is_numeric($maxdays) ? (int)$maxdays : self::DEFAULT_MAX_DAYS
        );
    }

    /**
     * The usable lines of connectreturnurls: trimmed, blank lines skipped, only absolute http(s) URLs without a fragment.
     *
     * @param string $text one URL per line
     * @return string[]
     */
    public static function parse_return_urls(string $text): array {
        $urls = [];
        foreach (preg_split('/\R/', $text) as $line) {
            $line = trim($line);
            if ($line !== '' && self::invalid_return_url($line) === null) {
                $urls[] = $line;
            }
        }
        return array_values(array_unique($urls));
    }

    /**
     * Why a callback URL cannot be used, or null when it can.
     *
     * @param string $url
     * @return string|null
     */
    public static function invalid_return_url(string $url): ?string {
        $parts = parse_url($url);
        if ($parts === false || !isset($parts['scheme'], $parts['host'])) {
            return 'is not an absolute URL';
        }
        if (!in_array(strtolower($parts['scheme']), ['http', 'https'], true)) {
            return 'must use http or https';
        }
        if (isset($parts['fragment']) || strpos($url, '#') !== false) {
            return 'must not have a fragment (#...)';
        }
        if (isset($parts['user']) || isset($parts['pass'])) {
            return 'must not contain a user name or password';
        }
        if (preg_match('/[\s\x00-\x1f\x7f]/', $url)) {
            return 'must not contain spaces or control characters';
        }
        return null;
    }

    /**
     * Whether the URL is one of the configured callback URLs (exact, case-sensitive match).
     *
     * @param string $url
     * @return bool
     */
    public function allows_return_url(string $url): bool {
        return in_array($url, $this->returnurls, true);
    }

    /**
     * Whether a secret and at least one callback URL are configured (the service is checked by flow::enabled()).
     *
     * @return bool
     */
    public function configured(): bool {
        return $this->secret !== '' && $this->returnurls !== [];
    }
}
