# moodle-mcp access policy (OPA v1 syntax), compiled to WASM by `make policy`.
#
# Entry point: data.moodle_mcp.decision → {"allow": bool, "reasons": [string]}, plus "rate_limited": true when a
# rate limit denies.
# input: PolicyInput (runtime/policy/types.ts) — facts gathered by TypeScript: connection, client IP,
#        function (name, effective access), resolved courses, rate-limit usage, time.
# data:  PolicyData — gateway mode, profiles from moodle-mcp.config.yaml, site-level functions.
#
# Reasons are built with concat (native in WASM; sprintf would call out to JavaScript).
# Every failing rule adds a short reason (shown to the AI client and audited); the call is allowed only
# when no rule fails. Anything missing or malformed denies (fail closed). Only builtins that
# @open-policy-agent/opa-wasm implements may be used (policies/capabilities.json enforces it at build).
package moodle_mcp

default decision := {"allow": false, "reasons": ["policy error: no decision"]}

# "rate_limited": true only when a rate limit denies (the gateway answers 429 and audits rate_limit.hit). Absent
# otherwise, so a decision of an older policy (policy diff builds old refs) means the same.
decision := {"allow": true, "reasons": []} if count(reasons) == 0

else := {"allow": false, "reasons": reasons} if count(rate_reasons) == 0

else := {"allow": false, "reasons": reasons, "rate_limited": true}

# All failing reasons, grouped in a fixed order, each group sorted.
reasons := [r |
	some group in [
		input_reasons, profile_reasons, mode_reasons, scope_reasons, ip_reasons,
		function_reasons, course_reasons, rate_reasons, admin_reasons,
	]
	some r in sort(group)
]

# --- facts ------------------------------------------------------------------------------------------

profile := data.profiles[input.connection.profile]

# Always a string: reasons put it in quotes directly.
profile_name := input.connection.profile if is_string(input.connection.profile)

else := "(missing)"

fn_name := input.function.name

is_call if input.action == "tools/call"

# Anything that is not explicitly "read" counts as a write.
is_write if not input.function.access == "read"

read_write_mode if data.mode == "read-write"

site_level if fn_name in data.site_level_functions

course_restricted if is_array(profile.courses)

# --- input shape ------------------------------------------------------------------------------------

# One cheap check on the common path, one clause per action; the detailed reasons below are only worked out
# when it fails. No shared helper rules here: in WASM every rule a decision references is memoized per
# evaluation (a hash insert and lookup), which costs more than the checks themselves.
input_ok if {
	input.action == "tools/list"
	is_string(input.function.name)
	is_string(input.connection.profile)
	is_boolean(input.connection.site_admin)
	is_array(input.connection.scopes)
	is_string(input.client_ip)
}

input_ok if {
	input.action == "tools/call"
	is_string(input.function.name)
	is_string(input.connection.profile)
	is_boolean(input.connection.site_admin)
	is_array(input.connection.scopes)
	is_string(input.client_ip)
	numbers_list(input.courses)
	is_number(input.usage.connection_calls)
	is_number(input.usage.function_calls)
	is_number(input.usage.window_seconds)
	input.usage.window_seconds > 0
}

input_reasons contains "invalid policy input: action must be tools/call or tools/list" if {
	not input_ok
	not input.action in {"tools/call", "tools/list"}
}

input_reasons contains "invalid policy input: function.name must be a string" if {
	not input_ok
	not is_string(fn_name)
}

input_reasons contains "invalid policy input: connection.profile must be a string" if {
	not input_ok
	not is_string(input.connection.profile)
}

input_reasons contains "invalid policy input: connection.site_admin must be a boolean" if {
	not input_ok
	not is_boolean(input.connection.site_admin)
}

input_reasons contains "invalid policy input: connection.scopes must be a list" if {
	not input_ok
	not is_array(input.connection.scopes)
}

input_reasons contains "invalid policy input: client_ip must be a string" if {
	not input_ok
	not is_string(input.client_ip)
}

input_reasons contains "invalid policy input: courses must be a list of numbers" if {
	not input_ok
	is_call
	not numbers_list(input.courses)
}

input_reasons contains "invalid policy input: usage counters must be numbers (window_seconds > 0)" if {
	not input_ok
	is_call
	not usage_numbers
}

numbers_list(xs) if {
	is_array(xs)
	every x in xs {
		is_number(x)
	}
}

usage_numbers if {
	is_number(input.usage.connection_calls)
	is_number(input.usage.function_calls)
	is_number(input.usage.window_seconds)
	input.usage.window_seconds > 0
}

# --- profile ----------------------------------------------------------------------------------------

profile_reasons contains concat("", ["unknown profile '", profile_name, "'"]) if not profile

# --- mode -------------------------------------------------------------------------------------------

mode_reasons contains "the gateway is read-only: write functions are disabled" if {
	is_write
	not read_write_mode
}

# --- scope ------------------------------------------------------------------------------------------

required_scope := "api.read" if not is_write

else := "api.write"

scope_reasons contains concat("", ["scope ", required_scope, " is required for ", access_label, " functions"]) if {
	not required_scope in input.connection.scopes
}

scope_reasons contains concat("", ["profile '", profile_name, "' does not grant scope ", required_scope]) if {
	profile
	not required_scope in profile.scopes
}

access_label := "read" if not is_write

else := "write"

# --- client IP --------------------------------------------------------------------------------------

# IPv4-mapped IPv6 addresses (::ffff:10.0.0.1, as Node reports dual-stack peers) count as IPv4.
client_ip := trim_prefix(lower(input.client_ip), "::ffff:") if {
	startswith(lower(input.client_ip), "::ffff:")
	contains(input.client_ip, ".")
} else := input.client_ip

ip_allowed if {
	some entry in profile.ip_allow
	ip_matches(entry, client_ip)
}

ip_matches(entry, ip) if net.cidr_contains(entry, ip)

ip_matches(entry, ip) if entry == ip

ip_reasons contains concat("", ["client IP ", quote(input.client_ip), " is not in the ip_allow list of profile '", profile_name, "'"]) if {
	profile
	not ip_allowed
}

# --- function patterns ------------------------------------------------------------------------------

# Patterns match the whole name with glob syntax and no delimiters: `*` matches any run of characters; deny
# wins. Each profile's lists are split once by kind: exact names (an object lookup), `prefix*` (startswith) and
# the rest (glob.match, which compiles its pattern on every call in WASM). Moodle function names only contain
# [a-z0-9_], so a name equal to a pattern, or starting with a pattern's prefix, involves no glob syntax.
#
# The gateway evaluates pattern_index once per policy or data load (entrypoint moodle_mcp/pattern_index) and
# passes the result back as data.pattern_index; elsewhere (opa test, opa eval) it is worked out per decision by
# the same rules, so both give the same answers (test/policy/parity.test.ts runs the table both ways).
pattern_index[name] := {"allow": split_patterns(p.allow), "deny": split_patterns(p.deny)} if {
	some name, p in data.profiles
}

patterns := index if {
	index := data.pattern_index[input.connection.profile]
} else := pattern_index[input.connection.profile]

split_patterns(list) := {
	"names": {p: true | some p in list; not glob_syntax(p)},
	"prefixes": [trim_suffix(p, "*") | some p in list; prefix_pattern(p)],
	"globs": [p | some p in list; glob_syntax(p); not prefix_pattern(p)],
}

prefix_pattern(p) if {
	endswith(p, "*")
	not glob_syntax(trim_suffix(p, "*"))
}

glob_syntax(p) if contains(p, "*")

glob_syntax(p) if contains(p, "?")

glob_syntax(p) if contains(p, "[")

glob_syntax(p) if contains(p, "{")

glob_syntax(p) if contains(p, "\\")

function_allowed if patterns.allow.names[fn_name]

function_allowed if {
	some prefix in patterns.allow.prefixes
	startswith(fn_name, prefix)
}

function_allowed if {
	some p in patterns.allow.globs
	glob.match(p, [], fn_name)
}

deny_patterns contains fn_name if patterns.deny.names[fn_name]

deny_patterns contains concat("", [prefix, "*"]) if {
	some prefix in patterns.deny.prefixes
	startswith(fn_name, prefix)
}

deny_patterns contains p if {
	some p in patterns.deny.globs
	glob.match(p, [], fn_name)
}

function_reasons contains concat("", ["function ", quote_name, " is denied by pattern ", quote(p)]) if {
	some p in deny_patterns
}

function_reasons contains concat("", ["function ", quote_name, " is not allowed by any pattern of profile '", profile_name, "'"]) if {
	profile
	not function_allowed
}

quote_name := fn_name if is_string(fn_name)

else := "(invalid)"

# --- courses ----------------------------------------------------------------------------------------

# Course rules decide a call unless its course facts are deferred. The gateway evaluates a call whose references
# need Moodle lookups twice: first with courses_deferred true (every other rule: a call refused here makes no
# lookup, and its reasons name no course), then with the facts the lookups found. A read function whose references
# are checked on its answer (result_check true) is decided a third time, with the answer's courses.
course_check if {
	is_call
	course_restricted
	not input.courses_deferred == true
}

course_reasons contains "the course references of this call could not be resolved (course restriction)" if {
	course_check
	not input.courses_resolved == true
	not described_gaps
}

# One reason per reference the gateway could not map, naming its entity type and, where there is one, the remedy.
course_reasons contains gap_reason(gap) if {
	course_check
	not input.courses_resolved == true
	some gap in input.unresolved
}

described_gaps if {
	some gap in input.unresolved
	is_object(gap)
}

gap_reason(gap) := concat("", [gap_entity(gap), " ids can be checked only when the local_moodlemcp resolver is enabled on the Moodle site (course restriction)"]) if {
	gap.why == "no_resolver"
} else := concat("", [gap_entity(gap), " named by this call: not in a course this user can access, or could not be looked up (course restriction)"]) if {
	gap.why == "unknown"
} else := concat("", [gap_entity(gap), " reference of this call is not an id (course restriction)"]) if {
	gap.why == "invalid"
} else := concat("", ["this call names too many entities to check their courses (", gap_entity(gap), ") (course restriction)"]) if {
	gap.why == "too_many"
} else := concat("", [gap_entity(gap), " ids of this function cannot be mapped to a course: refused under a course restriction"]) if {
	gap.why == "unmappable"
} else := concat("", ["the answer names no course that can be checked (course restriction)"]) if {
	gap.why == "no_result_course"
} else := concat("", [gap_entity(gap), " references could not be mapped to a course (course restriction)"])

gap_entity(gap) := gap.entity if is_string(gap.entity)

else := "(unknown entity)"

course_reasons contains concat("", ["course ", format_int(c, 10), " is not allowed for profile '", profile_name, "'"]) if {
	course_check
	some c in input.courses
	is_number(c)
	not c in profile.courses
}

# A call that names no course is allowed under a restriction only for site-level functions, or when its answer's
# course is checked before it is released (result_check).
course_reasons contains concat("", [quote_name, " references no course and is not a site-level function (course restriction)"]) if {
	course_check
	input.courses_resolved == true
	count(input.courses) == 0
	not input.result_check == true
	not site_level
}

# Listing: a function without course references can never be called under a restriction.
course_reasons contains concat("", [quote_name, " references no course and is not a site-level function (course restriction)"]) if {
	not is_call
	course_restricted
	not input.function.has_course_refs == true
	not site_level
}

# --- rate -------------------------------------------------------------------------------------------

# Limits are per minute; the counters cover the limiter's window (usage.window_seconds), so scale. The default
# one-minute window needs no arithmetic (numbers are arbitrary-precision in WASM: a division costs microseconds).
window_limit(per_minute) := per_minute if input.usage.window_seconds == 60

else := (per_minute * input.usage.window_seconds) / 60

rate_reasons contains concat("", ["rate limit reached: ", format_int(limit, 10), " calls per minute for this connection"]) if {
	is_call
	limit := profile.rate_per_minute
	is_number(limit)
	input.usage.connection_calls >= window_limit(limit)
}

rate_reasons contains concat("", ["rate limit reached: ", format_int(limit, 10), " calls per minute for ", quote_name]) if {
	is_call
	limit := profile.rate_per_function_per_minute
	is_number(limit)
	input.usage.function_calls >= window_limit(limit)
}

# --- site administrators ----------------------------------------------------------------------------

admin_reasons contains concat("", ["site administrator tokens are not allowed for profile '", profile_name, "'"]) if {
	profile
	not input.connection.site_admin == false
	not profile.allow_site_admin == true
}

# --- helpers ----------------------------------------------------------------------------------------

quote(s) := concat("", ["'", s, "'"]) if is_string(s)

else := "(invalid)"
