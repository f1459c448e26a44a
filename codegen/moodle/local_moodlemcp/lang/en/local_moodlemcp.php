<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp code generator.

/**
 * English strings.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

defined('MOODLE_INTERNAL') || die();

$string['connectbadrequest'] = 'This connection request from the moodle-mcp gateway cannot be used ({$a}). Start again from the gateway.';
$string['connectbutton'] = 'Connect';
$string['connectconfirm'] = '<strong>{$a->client}</strong>, through the gateway <strong>{$a->gateway}</strong>, asks to use {$a->site} as you ({$a->user}).';
$string['connectconfirmdetail'] = 'If you connect, a new security key is created for this connection only. The client can then do what you can do through the site\'s web services, within the permissions you grant in the gateway. You can end the connection at any time in the gateway, or in this site under Preferences > MCP connections.';
$string['connectheading'] = 'Sign in through Moodle (connect flow)';
$string['connectheading_desc'] = 'The moodle-mcp gateway can send people here to sign in with this site\'s own login (single sign-on, multi-factor, ...) and create one web-service token per connected MCP client. The flow is enabled when a secret and at least one callback URL are set and the service exists and is enabled. People need the capability local/moodlemcp:connect; site administrators are always refused.';
$string['connectmaxdays'] = 'Longest token lifetime (days)';
$string['connectmaxdays_desc'] = 'Tokens created by the connect flow expire after at most this many days (0: no cap; the gateway may ask for a shorter one).';
$string['connectreturnurls'] = 'Gateway callback URLs';
$string['connectreturnurls_desc'] = 'The gateway\'s callback URLs (for example https://mcp.example.edu/oauth/moodle/callback), one per line. A request is accepted only when its return_to equals one of them exactly.';
$string['connectreturnurls_invalid'] = 'Line {$a->line}: the URL {$a->why}.';
$string['connectsecret'] = 'Gateway secret';
$string['connectsecret_desc'] = 'A secret of at least 32 characters shared with the gateway, which sends it when it redeems a one-time code. Empty: the connect flow is off.';
$string['connectsecret_short'] = 'The secret must be at least {$a} characters long.';
$string['connectservice'] = 'External service';
$string['connectservice_desc'] = 'Short name of the external service the tokens are created for.';
$string['connecttitle'] = 'Connect an MCP client';
$string['connectioncreated'] = 'Connected';
$string['connectionlastaccess'] = 'Last used';
$string['connectionname'] = 'Connection';
$string['connectionrevoke'] = 'End this connection';
$string['connectionrevoked'] = 'The connection has ended: its security key was deleted.';
$string['connections'] = 'MCP connections';
$string['connections_desc'] = 'Each MCP client you connected through the moodle-mcp gateway has its own security key. Ending a connection deletes its key: the client can no longer use this site as you.';
$string['connectionsnone'] = 'You have no MCP connections.';
$string['connectionunknown'] = 'That connection does not exist any more.';
$string['connectionvaliduntil'] = 'Expires';
$string['connectvaliduntil'] = 'The key expires on {$a}.';
$string['moodlemcp:connect'] = 'Connect MCP clients through the moodle-mcp gateway';
$string['pluginname'] = 'moodle-mcp gateway';
$string['privacy:metadata:local_moodlemcp_codes'] = 'One-time codes that hand a new web-service token to the moodle-mcp gateway (kept while the token exists, to detect a reused code).';
$string['privacy:metadata:local_moodlemcp_codes:returnurl'] = 'The gateway address the code was sent to.';
$string['privacy:metadata:local_moodlemcp_codes:timecreated'] = 'When the code was created.';
$string['privacy:metadata:local_moodlemcp_codes:timeredeemed'] = 'When the gateway redeemed the code.';
$string['privacy:metadata:local_moodlemcp_codes:tokenid'] = 'The web-service token the code hands over.';
$string['privacy:metadata:local_moodlemcp_codes:userid'] = 'The person who connected.';
$string['privacy:metadata:local_moodlemcp_tokens'] = 'The web-service tokens created when a person connected an MCP client through the moodle-mcp gateway.';
$string['privacy:metadata:local_moodlemcp_tokens:timecreated'] = 'When the connection was made.';
$string['privacy:metadata:local_moodlemcp_tokens:tokenid'] = 'The web-service token of the connection.';
$string['privacy:metadata:local_moodlemcp_tokens:userid'] = 'The person who connected.';
$string['privacy:metadata:moodlemcp_gateway'] = 'When a person connects an MCP client, the moodle-mcp gateway configured by the site administrator (its callback URL) receives a new web-service token of theirs and keeps it to call this site as them, until the connection is revoked.';
$string['privacy:metadata:moodlemcp_gateway:token'] = 'The web-service token created for the connection.';
$string['privacy:metadata:moodlemcp_gateway:userid'] = 'The id of the person who connected.';
$string['privacy:metadata:moodlemcp_gateway:validuntil'] = 'When the token expires.';
$string['privacy:path'] = 'moodle-mcp connections';
$string['taskpurgeconnectcodes'] = 'Delete the tokens of expired moodle-mcp connect codes';
