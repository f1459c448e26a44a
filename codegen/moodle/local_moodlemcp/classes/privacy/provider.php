<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * Privacy provider: the connect flow's rows (who connected, which token, when) in the person's user context.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

namespace local_moodlemcp\privacy;

use core_privacy\local\metadata\collection;
use core_privacy\local\request\approved_contextlist;
use core_privacy\local\request\approved_userlist;
use core_privacy\local\request\contextlist;
use core_privacy\local\request\userlist;
use core_privacy\local\request\writer;

/**
 * Declares, exports and deletes local_moodlemcp_tokens and local_moodlemcp_codes rows, and declares what redeem.php
 * sends to the moodle-mcp gateway. Deleting a person's data also deletes the tokens the connect flow created for them
 * (they exist only for those connections), which ends the gateway's use of them.
 */
class provider implements
        \core_privacy\local\metadata\provider,
        \core_privacy\local\request\plugin\provider,
        \core_privacy\local\request\core_userlist_provider {

    /**
     * The stored data.
     *
     * @param collection $collection
     * @return collection
     */
    public static function get_metadata(collection $collection): collection {
        $collection->add_database_table('local_moodlemcp_tokens', [
            'userid' => 'privacy:metadata:local_moodlemcp_tokens:userid',
            'tokenid' => 'privacy:metadata:local_moodlemcp_tokens:tokenid',
            'timecreated' => 'privacy:metadata:local_moodlemcp_tokens:timecreated',
        ], 'privacy:metadata:local_moodlemcp_tokens');
        $collection->add_database_table('local_moodlemcp_codes', [
            'userid' => 'privacy:metadata:local_moodlemcp_codes:userid',
            'tokenid' => 'privacy:metadata:local_moodlemcp_codes:tokenid',
            'returnurl' => 'privacy:metadata:local_moodlemcp_codes:returnurl',
            'timecreated' => 'privacy:metadata:local_moodlemcp_codes:timecreated',
            'timeredeemed' => 'privacy:metadata:local_moodlemcp_codes:timeredeemed',
        ], 'privacy:metadata:local_moodlemcp_codes');
        $collection->add_external_location_link('moodlemcp_gateway', [
            'userid' => 'privacy:metadata:moodlemcp_gateway:userid',
            'token' => 'privacy:metadata:moodlemcp_gateway:token',
            'validuntil' => 'privacy:metadata:moodlemcp_gateway:validuntil',
        ], 'privacy:metadata:moodlemcp_gateway');
        return $collection;
    }

    /**
     * The user context of a person who has connections.
     *
     * @param int $userid
     * @return contextlist
     */
    public static function get_contexts_for_userid(int $userid): contextlist {
        $contextlist = new contextlist();
        $contextlist->add_from_sql("SELECT ctx.id
                                      FROM {context} ctx
                                     WHERE ctx.contextlevel = :userlevel AND ctx.instanceid = :userid
                                       AND (EXISTS (SELECT 1 FROM {local_moodlemcp_tokens} t WHERE t.userid = :userid1)
                                            OR EXISTS (SELECT 1 FROM {local_moodlemcp_codes} c WHERE c.userid = :userid2))",
            ['userlevel' => CONTEXT_USER, 'userid' => $userid, 'userid1' => $userid, 'userid2' => $userid]);
        return $contextlist;
    }

    /**
     * The person of a user context, when they have connections.
     *
     * @param userlist $userlist
     */
    public static function get_users_in_context(userlist $userlist) {
        $context = $userlist->get_context();
        if (!$context instanceof \context_user) {
            return;
        }
        $params = ['userid' => $context->instanceid];
        $userlist->add_from_sql('userid', 'SELECT userid FROM {local_moodlemcp_tokens} WHERE userid = :userid', $params);
        $userlist->add_from_sql('userid', 'SELECT userid FROM {local_moodlemcp_codes} WHERE userid = :userid', $params);
    }

    /**
     * Exports the person's connections (token id, name, created, expiry, redeemed; never the token itself).
     *
     * @param approved_contextlist $contextlist
     */
    public static function export_user_data(approved_contextlist $contextlist) {
        global $DB;
        $userid = (int)$contextlist->get_user()->id;
        foreach ($contextlist->get_contexts() as $context) {
            if (!$context instanceof \context_user || (int)$context->instanceid !== $userid) {
                continue;
            }
            $connections = [];
            $rows = $DB->get_records_sql("SELECT t.id, t.tokenid, t.timecreated, et.name, et.validuntil, c.returnurl, c.timeredeemed
                                            FROM {local_moodlemcp_tokens} t
                                       LEFT JOIN {external_tokens} et ON et.id = t.tokenid
                                       LEFT JOIN {local_moodlemcp_codes} c ON c.tokenid = t.tokenid
                                           WHERE t.userid = :userid
                                        ORDER BY t.id", ['userid' => $userid]);
            foreach ($rows as $row) {
                $connections[] = (object)[
                    'tokenid' => (int)$row->tokenid,
                    'name' => $row->name,
                    'timecreated' => \core_privacy\local\request\transform::datetime($row->timecreated),
                    'validuntil' => $row->validuntil ? \core_privacy\local\request\transform::datetime($row->validuntil) : null,
                    'gateway' => $row->returnurl,
                    'timeredeemed' => $row->timeredeemed ? \core_privacy\local\request\transform::datetime($row->timeredeemed) : null,
                ];
            }
            if ($connections) {
                writer::with_context($context)->export_data([get_string('privacy:path', 'local_moodlemcp')],
                    (object)['connections' => $connections]);
            }
        }
    }

    /**
     * Deletes the data of everyone in a context (only user contexts hold any).
     *
     * @param \context $context
     */
    public static function delete_data_for_all_users_in_context(\context $context) {
        if ($context instanceof \context_user) {
            self::delete_user((int)$context->instanceid);
        }
    }

    /**
     * Deletes the person's data in the approved contexts.
     *
     * @param approved_contextlist $contextlist
     */
    public static function delete_data_for_user(approved_contextlist $contextlist) {
        $userid = (int)$contextlist->get_user()->id;
        foreach ($contextlist->get_contexts() as $context) {
            if ($context instanceof \context_user && (int)$context->instanceid === $userid) {
                self::delete_user($userid);
            }
        }
    }

    /**
     * Deletes the data of the approved users of a context.
     *
     * @param approved_userlist $userlist
     */
    public static function delete_data_for_users(approved_userlist $userlist) {
        $context = $userlist->get_context();
        if ($context instanceof \context_user && in_array((int)$context->instanceid, array_map('intval', $userlist->get_userids()), true)) {
            self::delete_user((int)$context->instanceid);
        }
    }

    /**
     * Deletes a person's rows and the tokens the connect flow issued to them.
     *
     * @param int $userid
     */
    private static function delete_user(int $userid): void {
        global $DB;
        $tokenids = $DB->get_fieldset_select('local_moodlemcp_tokens', 'tokenid', 'userid = :userid', ['userid' => $userid]);
        if ($tokenids) {
            [$insql, $params] = $DB->get_in_or_equal($tokenids, SQL_PARAMS_NAMED);
            $params['userid'] = $userid;
            $DB->delete_records_select('external_tokens', "id {$insql} AND userid = :userid", $params);
        }
        $DB->delete_records('local_moodlemcp_codes', ['userid' => $userid]);
        $DB->delete_records('local_moodlemcp_tokens', ['userid' => $userid]);
    }
}
