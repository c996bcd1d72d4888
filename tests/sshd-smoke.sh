#!/bin/sh
# sshd-smoke.sh - the sshd harness (tests/sshd-harness.sh) with PAM stacks
# that do not involve mtls: a real sshd on 127.0.0.1 accepts and refuses
# keyboard-interactive logins of private test users, prompts reach
# SSH_ASKPASS, and the host's /etc is the same afterwards, with no process
# left behind.
#
# What OpenSSH 9.2 does here (checked below):
# - a stack that never converses (pam_permit, pam_deny) still goes through
#   keyboard-interactive, with no prompt: askpass is not run at all, so ssh
#   needs neither a terminal nor an askpass program for it;
# - a prompt (pam_unix's "Password: ") reaches SSH_ASKPASS as argv[1],
#   prefixed with "(user@host) " where host is as given to ssh; the first
#   line of askpass's stdout is the answer;
# - a refused login is "Permission denied (keyboard-interactive)", exit 255,
#   and sshd logs "Failed keyboard-interactive/pam for USER";
# - a root login with PermitRootLogin no and a stack that says yes is cut
#   by sshd itself ("PAM auth succeeded when it should have failed").
. "${TOP_SRCDIR:-.}/tests/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "sshd-smoke: SKIP: needs root (a mount namespace with bind" \
	    "mounts over /etc, and sshd); CI runs it as root" >&2
	exit 77
fi

. "${TOP_SRCDIR:-.}/tests/sshd-harness.sh"
trap 'harness_stop_all; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM

# the host's files the harness must never change
hostsum() {
	sha256sum /etc/passwd /etc/group /etc/shadow /etc/nsswitch.conf \
	    /etc/pam.d/* 2>&1
}
hostsum >"$TMP/host.before"
[ -e /run/sshd ] && had_run_sshd=yes || had_run_sshd=no

# stack NAME AUTH ACCOUNT: a PAM stack file
stack() {
	cat >"$TMP/$1.pam" <<-EOF
	auth     required $2
	account  required $3
	session  required pam_permit.so
	password required pam_deny.so
	EOF
}
stack permit pam_permit.so pam_permit.so
stack deny pam_deny.so pam_permit.so
stack unix pam_unix.so pam_unix.so
stack unixacct pam_permit.so pam_unix.so

# An askpass that records each prompt (argv[1]) and answers the contents
# of $TMP/answer.
cat >"$TMP/askpass" <<EOF
#!/bin/sh
{ printf '%s\n' "\$1"; echo ---; } >>"$TMP/prompts"
cat "$TMP/answer"
EOF
chmod 0755 "$TMP/askpass"
HARNESS_ASKPASS=$TMP/askpass
export HARNESS_ASKPASS
: >"$TMP/prompts"
echo wrong >"$TMP/answer"

# --- pam_permit: accepted, without a prompt ------------------------------------
S=$TMP/permit
if harness_start "$S" "$TMP/permit.pam"; then
	ok
	port=$(harness_port "$S")
	case $port in
	22|'')	fail "harness port: '$port'" ;;
	*)	ok ;;
	esac
	harness_listening "$port" && ok || fail "nothing listens on $port"
	expect_exit 0 "permit: login" -- harness_ssh "$S" mtlsalice id -un
	[ "$(cat "$TMP/out")" = mtlsalice ] && ok ||
	    fail "permit: remote id -un: $(cat "$TMP/out")"
	expect_exit 0 "permit: uid, home" -- harness_ssh "$S" mtlsbob \
	    'id -u; pwd'
	[ "$(tr '\n' ' ' <"$TMP/out")" = "60002 /home/mtlsbob " ] && ok ||
	    fail "permit: bob's uid and home: $(cat "$TMP/out")"
	expect_empty "$TMP/prompts" "pam_permit prompts nothing"
	expect_exit 255 "permit: unknown user" -- harness_ssh "$S" \
	    mtlsnobody true
	expect_exit 255 "permit: root refused" -- harness_ssh "$S" root true
	expect_in "$(harness_log "$S")" \
	    "Accepted keyboard-interactive/pam for mtlsalice from 127.0.0.1" \
	    "permit: log"
	expect_in "$(harness_log "$S")" "Server listening on 127.0.0.1 port" \
	    "permit: log, listening"
	# the host never sees the test users
	grep -q '^mtlsalice:' /etc/passwd && fail "mtlsalice in host passwd" ||
	    ok
	pid=$(harness_pid "$S")
	harness_stop "$S"
	kill -0 "$pid" 2>/dev/null && fail "sshd $pid survived stop" || ok
	harness_alive "$S" && fail "processes of the namespace survived" || ok
	harness_listening "$port" && fail "port $port still listening" || ok
	harness_stop "$S" && ok || fail "second stop"
else
	fail "harness_start with pam_permit"
fi

# --- pam_deny: refused ---------------------------------------------------------
S=$TMP/deny
if harness_start "$S" "$TMP/deny.pam" "LogLevel=DEBUG1"; then
	ok
	expect_exit 255 "deny: login refused" -- harness_ssh "$S" mtlsalice \
	    id -un
	expect_in "$TMP/err" "Permission denied (keyboard-interactive)" \
	    "deny: client message"
	expect_empty "$TMP/out" "deny: no command output"
	expect_in "$(harness_log "$S")" \
	    "Failed keyboard-interactive/pam for mtlsalice from 127.0.0.1" \
	    "deny: log"
	# -o reached sshd: debug1 lines only at DEBUG1
	expect_in "$(harness_log "$S")" "debug1:" "deny: -o LogLevel"
	expect_empty "$TMP/prompts" "pam_deny prompts nothing"
else
	fail "harness_start with pam_deny"
fi
harness_stop "$S"

# --- pam_unix: a prompt through askpass, the private shadow ---------------------
S=$TMP/unix
if harness_start "$S" "$TMP/unix.pam"; then
	ok
	harness_set_password "$S" mtlsbob 'bob secret 1' && ok ||
	    fail "set bob's password"
	echo 'bob secret 1' >"$TMP/answer"
	expect_exit 0 "unix: right password" -- harness_ssh "$S" mtlsbob id -un
	[ "$(cat "$TMP/out")" = mtlsbob ] && ok ||
	    fail "unix: remote id -un: $(cat "$TMP/out")"
	expect_in "$TMP/prompts" "(mtlsbob@127.0.0.1) Password: " \
	    "askpass prompt with the (user@host) prefix"
	[ "$(head -n 1 "$TMP/prompts")" = "(mtlsbob@127.0.0.1) Password: " ] &&
	    ok || fail "first prompt: $(head -n 1 "$TMP/prompts")"
	: >"$TMP/prompts"
	echo 'bob secret 2' >"$TMP/answer"
	expect_exit 255 "unix: wrong password" -- harness_ssh "$S" mtlsbob true
	expect_in "$TMP/prompts" "(mtlsbob@127.0.0.1) Password: " \
	    "wrong password: prompted"
	# alice's entry is locked ("!"): no password opens it
	echo '!' >"$TMP/answer"
	expect_exit 255 "unix: locked account" -- harness_ssh "$S" mtlsalice \
	    true
	expect_in "$(harness_log "$S")" \
	    "Accepted keyboard-interactive/pam for mtlsbob" "unix: log accepted"
	expect_in "$(harness_log "$S")" \
	    "Failed keyboard-interactive/pam for mtlsalice" "unix: log failed"
	grep -q 'mtlsbob:\$6\$' /etc/shadow && fail "bob's hash in host shadow" ||
	    ok
else
	fail "harness_start with pam_unix"
fi
harness_stop "$S"

# --- pam_unix account phase accepts a locked ("!") private shadow entry ---------
S=$TMP/unixacct
if harness_start "$S" "$TMP/unixacct.pam"; then
	ok
	: >"$TMP/prompts"
	expect_exit 0 "unix account: locked user" -- harness_ssh "$S" \
	    mtlsalice id -un
	[ "$(cat "$TMP/out")" = mtlsalice ] && ok ||
	    fail "unix account: remote id -un: $(cat "$TMP/out")"
	expect_empty "$TMP/prompts" "unix account: no prompt"
else
	fail "harness_start with pam_unix account"
fi
harness_stop "$S"

# --- two at once, and a stop while a session runs -------------------------------
A=$TMP/two-a
B=$TMP/two-b
if harness_start "$A" "$TMP/permit.pam" && harness_start "$B" "$TMP/deny.pam"
then
	ok
	[ "$(harness_port "$A")" != "$(harness_port "$B")" ] && ok ||
	    fail "two harnesses on one port"
	expect_exit 0 "two: A accepts" -- harness_ssh "$A" mtlsalice true
	expect_exit 255 "two: B refuses" -- harness_ssh "$B" mtlsalice true
	harness_ssh "$A" mtlsbob 'sleep 60' >/dev/null 2>&1 &
	client=$!
	# wait (at most 10 s) for the session to start
	n=0
	while [ $n -lt 100 ] &&
	    ! grep -qs "Starting session: command for mtlsbob" \
	    "$(harness_log "$A")"; do
		sleep 0.1
		n=$((n + 1))
	done
	[ $n -lt 100 ] && ok || fail "two: session did not start"
	harness_stop "$A"
	harness_alive "$A" && fail "a session survived harness_stop" || ok
	wait $client
	[ $? -ne 0 ] && ok || fail "client of a stopped sshd exited 0"
	harness_alive "$B" && ok || fail "stopping A stopped B"
	harness_stop "$B"
else
	fail "harness_start twice"
fi

# --- a failing start says why and leaves nothing ---------------------------------
expect_exit 1 "start without a stack file" -- harness_start "$TMP/bad" \
    "$TMP/none.pam"
expect_exit 1 "start with a bad option" -- harness_start "$TMP/bad2" \
    "$TMP/permit.pam" "NoSuchKeyword=1"
expect_in "$TMP/err" "sshd did not start" "bad option message"
harness_alive "$TMP/bad2" && fail "a failed start left processes" || ok

# --- the host is as it was --------------------------------------------------------
hostsum >"$TMP/host.after"
cmp -s "$TMP/host.before" "$TMP/host.after" && ok ||
    fail "host files changed: $(diff "$TMP/host.before" "$TMP/host.after")"
for d in $HARNESS_DIRS; do
	harness_alive "$d" && fail "processes of $d remain" || ok
done
[ -e /run/sshd ] && had=yes || had=no
[ "$had" = "$had_run_sshd" ] && ok || fail "host /run/sshd: $had_run_sshd, now $had"

finish
