#!/bin/sh
# impostor-selftest.sh - the relaying impostor of tests/impostor.sh works,
# without mtls: a real sshd asks for a password (pam_unix), an impostor
# sshd relays its prompt to the victim and the victim's answer back.
# With the right password the impostor lets the victim in and its command
# ran on the real host; with a wrong one the real host refuses and so
# does the impostor, unless its own stack lets the victim in after.
. "${TOP_SRCDIR:-.}/tests/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "impostor-selftest: SKIP: needs root (mount namespace, sshd); CI" \
	    "runs it as root" >&2
	exit 77
fi
: "${PAM_RELAY:?PAM_RELAY is not set (run through make check)}"

. "${TOP_SRCDIR:-.}/tests/sshd-harness.sh"
. "${TOP_SRCDIR:-.}/tests/impostor.sh"
trap 'harness_stop_all; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM

# --- the real host: a password by pam_unix ----------------------------------
cat >"$TMP/real.pam" <<EOF
auth     required pam_unix.so nodelay
account  required pam_unix.so
session  required pam_permit.so
password required pam_deny.so
EOF
R=$TMP/real
harness_start "$R" "$TMP/real.pam" ||
    { fail "real sshd start"; finish; exit 1; }
harness_set_password "$R" mtlsalice "right horse" || fail "set password"
# A command that leaves a mark on the real host, and only there: /home is
# R/home in the real sshd's namespace, I/home in the impostor's.
cat >"$R/home/mtlsalice/mark" <<'EOF'
#!/bin/sh
: >"$HOME/relayed"
EOF
chmod 0755 "$R/home/mtlsalice/mark"

I=$TMP/impostor
IMPOSTOR_COMMAND=/home/mtlsalice/mark
impostor_start "$I" "$(harness_port "$R")" ||
    { fail "impostor sshd start"; finish; exit 1; }

# The victim's askpass answers every prompt with $TMP/answer and records it.
cat >"$TMP/askpass" <<EOF
#!/bin/sh
printf '%s\n' "\$1" >>"$TMP/prompts"
cat "$TMP/answer"
EOF
chmod 0755 "$TMP/askpass"
HARNESS_ASKPASS=$TMP/askpass

# count FILE STRING: lines of FILE holding the fixed string
count() {
	grep -cF -- "$2" "$1" 2>/dev/null
}

# --- the right password: relayed, accepted there and here -------------------
echo "right horse" >"$TMP/answer"
expect_exit 0 "the victim logs in to the impostor" -- \
    harness_ssh "$I" mtlsalice echo impostor-session
expect_in "$TMP/out" "impostor-session" "the victim's command ran"
expect_in "$(harness_log "$R")" \
    "Accepted keyboard-interactive/pam for mtlsalice" "the real host accepted"
expect_in "$(harness_log "$I")" \
    "Accepted keyboard-interactive/pam for mtlsalice" "the impostor accepted"
[ -e "$R/home/mtlsalice/relayed" ] && ok ||
    fail "the relayed command left no mark on the real host"
[ ! -e "$I/home/mtlsalice/relayed" ] && ok ||
    fail "the relayed command ran on the impostor"
expect_in "$(impostor_log "$I")" "prompt: Password:" "the prompt was relayed"
expect_in "$(impostor_log "$I")" "ssh exited 0" "the relay's ssh succeeded"
# the victim sees the real host's prompt under its own ssh's prefix only
[ "$(count "$TMP/prompts" "(mtlsalice@127.0.0.1) Password:")" = 1 ] && ok ||
    fail "victim's prompts: $(cat "$TMP/prompts")"
[ "$(count "$TMP/prompts" "127.0.0.1) (")" = 0 ] && ok ||
    fail "prefix relayed: $(cat "$TMP/prompts")"
dir=$(sed -n 's/.*relaying through //p' "$(impostor_log "$I")")
[ -n "$dir" ] && [ ! -e "$dir" ] && ok || fail "relay directory '$dir' left"

# --- a wrong password: the real host refuses, so does the impostor ----------
rm -f "$R/home/mtlsalice/relayed" "$TMP/prompts"
echo "wrong horse" >"$TMP/answer"
expect_exit 255 "a wrong password through the impostor" -- \
    harness_ssh "$I" mtlsalice echo impostor-session
expect_empty "$TMP/out" "no session on the impostor"
expect_in "$(harness_log "$R")" \
    "Failed keyboard-interactive/pam for mtlsalice" "the real host refused"
[ "$(count "$(harness_log "$I")" "Accepted keyboard")" = 1 ] && ok ||
    fail "the impostor accepted a wrong password"
[ ! -e "$R/home/mtlsalice/relayed" ] && ok || fail "the command ran anyway"
expect_in "$(impostor_log "$I")" "ssh exited 255" "the relay's ssh failed"

# --- an impostor with its own password after the relay ---------------------
# The relay fails; the impostor's pam_unix asks next and accepts.
J=$TMP/impostor2
impostor_start "$J" "$(harness_port "$R")" \
    "auth     required pam_unix.so nodelay" ||
    { fail "second impostor start"; finish; exit 1; }
harness_set_password "$J" mtlsalice "wrong horse" || fail "set password"
rm -f "$TMP/prompts"
expect_exit 0 "the impostor's own password after a failed relay" -- \
    harness_ssh "$J" mtlsalice echo impostor-session
[ "$(count "$TMP/prompts" "Password:")" = 2 ] && ok ||
    fail "two prompts expected: $(cat "$TMP/prompts")"
expect_in "$(impostor_log "$J")" "ssh exited 255" "the relay failed first"

finish
