#!/bin/sh
# ssh-tools.sh - mtls-ssh, the program form of `mtls ssh`, under the tools
# that run an ssh program of their choice (scp -S, sftp -S, rsync -e,
# GIT_SSH_COMMAND), and in batch mode, against a real sshd on 127.0.0.1
# whose PAM stack runs pam_mtls.so (tests/sshd-harness.sh).  The person's
# certificate, key and client configuration come from the environment or
# from ~/.config/mtls, since such tools pass ssh's arguments alone.
# Batch mode (BatchMode=yes on the command line, in an -F file, or from
# sftp -b) logs in by certificate and never asks a person: a password
# question, an encrypted key or a key on a token fails the command, and a
# pseudo-terminal (script(1)) shows that nothing was asked on it.  A
# host alias with HostName, Port and User is checked against the
# HostName, with and without ssh -G being needed for other reasons.
. "${TOP_SRCDIR:-.}/tests/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "ssh-tools: SKIP: needs root (mount namespace, sshd); CI runs" \
	    "it as root" >&2
	exit 77
fi
: "${PAM_MTLS:?PAM_MTLS is not set (run through make check)}"

. "${TOP_SRCDIR:-.}/tests/sshd-harness.sh"
trap 'harness_stop_all; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM

# --- the organization, the host, the person ----------------------------------
CA=$TMP/ca
$MTLS ca init "$CA" --name "Tools Root CA" --org "mtls tools" >/dev/null &&
$MTLS ca issue "$CA" --user mtlsalice --out "$TMP/alice" >/dev/null &&
$MTLS ca issue "$CA" --host localhost --out "$TMP/host" >/dev/null ||
    { fail "ca"; finish; exit 1; }

# The person's files where a bare program finds them: ~/.config/mtls.
HOME=$TMP/home
export HOME
unset XDG_CONFIG_HOME MTLS_CERT MTLS_KEY MTLS_CONFIG
mkdir -p "$HOME/.config/mtls"
cp "$TMP/alice.pem" "$HOME/.config/mtls/cert.pem"
cp "$TMP/alice.key" "$HOME/.config/mtls/key.pem"
chmod 0600 "$HOME/.config/mtls/key.pem"
printf 'trust_anchor %s\ncrl %s\n' "$CA/ca.pem" "$CA/crl.pem" \
    >"$HOME/.config/mtls/mtls.conf"
chmod 0644 "$HOME/.config/mtls/mtls.conf"
MTLS_KNOWN_HOSTS=$TMP/known_hosts
export MTLS_KNOWN_HOSTS

# mtls-ssh: the mtls program under that name, as installed.
ln -s "$MTLS" "$TMP/bin/mtls-ssh"
PROG=$TMP/bin/mtls-ssh

# --- sshd with pam_mtls only, and one that asks a password after it ----------
M="$PAM_MTLS config=$TMP/server.conf"
cat >"$TMP/server.conf" <<EOF
trust_anchor $CA/ca.pem
crl $CA/crl.pem
host_certificate $TMP/host.pem
host_key $TMP/host.key
ssh_host_key $TMP/sshd-only/etc/ssh_host_*_key.pub
ssh_host_key $TMP/sshd-pw/etc/ssh_host_*_key.pub
map from=cn
EOF
chmod 0644 "$TMP/server.conf"
printf '%s\n' "auth required $M" "account required $M" \
    "account required pam_unix.so" "session required pam_permit.so" \
    "password required pam_deny.so" >"$TMP/only.pam"
printf '%s\n' "auth required $M" "auth required pam_unix.so nodelay" \
    "account required pam_unix.so" "session required pam_permit.so" \
    "password required pam_deny.so" >"$TMP/pw.pam"
S=$TMP/sshd-only
harness_start "$S" "$TMP/only.pam" "Subsystem=sftp internal-sftp" ||
    { fail "sshd start"; finish; exit 1; }
PORT=$(harness_port "$S")
P=$TMP/sshd-pw
harness_start "$P" "$TMP/pw.pam" || { fail "sshd-pw start"; finish; exit 1; }
PWPORT=$(harness_port "$P")
harness_set_password "$P" mtlsalice "s3cret pass" || fail "set password"
AHOME=$S/home/mtlsalice

# ssh's configuration for the tools: -F, so that no host file counts.
cat >"$TMP/ssh_config" <<EOF
Host *
	Port $PORT
	User mtlsalice
	AddressFamily inet
	ConnectTimeout 20
	UserKnownHostsFile /dev/null
	GlobalKnownHostsFile /dev/null
EOF
CFG=$TMP/ssh_config

accepted() {
	grep -c "Accepted keyboard-interactive/pam for mtlsalice" \
	    "$(harness_log "$1")"
}

# --- mtls-ssh with ssh's arguments alone (and the probe of first contact) ---
expect_exit 0 "mtls-ssh logs in" -- timeout 60 setsid -w "$PROG" -F "$CFG" \
    localhost 'id -un' </dev/null
expect_in "$TMP/out" "mtlsalice" "mtls-ssh runs the command as alice"
expect_in "$TMP/err" "vouched for its SSH host key" "first contact probed"
expect_in "$MTLS_KNOWN_HOSTS" "[localhost]:$PORT " "key recorded by %H"
# git asks `PROG -G ...` whether it is OpenSSH: ssh answers, no login.
n=$(accepted "$S")
expect_exit 0 "mtls-ssh -G is ssh -G" -- "$PROG" -G -F "$CFG" -p "$PORT" \
    -o SendEnv=GIT_PROTOCOL localhost
expect_in "$TMP/out" "hostname localhost" "ssh -G printed"
[ "$(accepted "$S")" -eq "$n" ] && ok || fail "-G made a connection"

# --- scp, sftp, rsync, git ------------------------------------------------------
echo "upload $$" >"$TMP/up.txt"
expect_exit 0 "scp upload" -- timeout 60 setsid -w scp -S "$PROG" -F "$CFG" \
    "$TMP/up.txt" localhost:up.txt </dev/null
cmp -s "$TMP/up.txt" "$AHOME/up.txt" && ok || fail "scp upload content"
echo "download $$" >"$AHOME/down.txt"
expect_exit 0 "scp download" -- timeout 60 setsid -w scp -S "$PROG" \
    -F "$CFG" localhost:down.txt "$TMP/down.txt" </dev/null
cmp -s "$AHOME/down.txt" "$TMP/down.txt" && ok || fail "scp download content"

# sftp -b: batch mode (sftp passes "-obatchmode yes"); no person.
printf '%s\n' "put $TMP/up.txt sftp-up.txt" "get down.txt $TMP/sftp-down.txt" \
    >"$TMP/sftp.batch"
expect_exit 0 "sftp -b -S mtls-ssh" -- timeout 60 setsid -w sftp -S "$PROG" \
    -F "$CFG" -b "$TMP/sftp.batch" localhost </dev/null
cmp -s "$TMP/up.txt" "$AHOME/sftp-up.txt" && ok || fail "sftp put content"
cmp -s "$AHOME/down.txt" "$TMP/sftp-down.txt" && ok || fail "sftp get content"

mkdir -p "$TMP/tree/sub"
echo "one $$" >"$TMP/tree/a"
echo "two $$" >"$TMP/tree/sub/b"
expect_exit 0 "rsync -e mtls-ssh up" -- timeout 60 setsid -w rsync -a \
    -e "$PROG -F $CFG" "$TMP/tree/" localhost:tree/ </dev/null
diff -r "$TMP/tree" "$AHOME/tree" >/dev/null && ok || fail "rsync up content"
expect_exit 0 "rsync -e mtls-ssh down" -- timeout 60 setsid -w rsync -a \
    -e "$PROG -F $CFG" localhost:tree/ "$TMP/tree-back/" </dev/null
diff -r "$TMP/tree" "$TMP/tree-back" >/dev/null && ok ||
    fail "rsync down content"

# git over GIT_SSH_COMMAND: clone a bare repository in alice's home, push.
git init -q --bare "$AHOME/repo.git" && chown -R 60001:60001 "$AHOME/repo.git" ||
    fail "bare repository"
GIT_SSH_COMMAND="$PROG -F $CFG"
export GIT_SSH_COMMAND
expect_exit 0 "git clone" -- timeout 60 setsid -w git clone -q \
    "ssh://localhost:$PORT/home/mtlsalice/repo.git" "$TMP/clone" </dev/null
echo "pushed $$" >"$TMP/clone/file"
g() {
	git -C "$TMP/clone" -c user.name=T -c user.email=t@example.com "$@"
}
g add file && g commit -qm "a commit" || fail "git commit"
expect_exit 0 "git push" -- timeout 60 setsid -w git -C "$TMP/clone" push \
    -q origin HEAD:main </dev/null
got=$(git -c safe.directory="*" --git-dir="$AHOME/repo.git" show main:file 2>/dev/null)
[ "$got" = "pushed $$" ] && ok || fail "git push content: $got"
unset GIT_SSH_COMMAND

# --- batch mode --------------------------------------------------------------
# quiet TTYFILE DESCRIPTION: script(1) wrote nothing but its own first and
# last lines: nothing was shown on the terminal.
quiet() {
	if grep -v '^Script \(started\|done\) on ' "$1" | grep -q .; then
		fail "$2: $(cat "$1")"
	else
		ok
	fi
}

# batch PORT TTYFILE [ssh args...]: mtls-ssh on a pseudo-terminal, with
# nothing typed; what the terminal showed is in TTYFILE, mtls-ssh's
# standard error in $TMP/berr.
batch() {
	bport=$1
	btty=$2
	shift 2
	: >"$btty"
	: >"$TMP/berr"
	timeout 90 script -qefc "$PROG -F $CFG -p $bport $* localhost \
	    'id -un' 2>$TMP/berr" "$btty"
}
rm -f "$MTLS_KNOWN_HOSTS"
n=$(accepted "$S")
expect_exit 0 "BatchMode=yes, first contact" -- batch "$PORT" "$TMP/tty1" \
    -o BatchMode=yes </dev/null
expect_in "$TMP/out" "mtlsalice" "batch login ran the command"
[ "$(accepted "$S")" -eq $((n + 2)) ] && ok || fail "probe and login"
expect_exit 0 "-oBatchMode=yes" -- batch "$PORT" "$TMP/tty1" \
    -oBatchMode=yes </dev/null
expect_in "$TMP/out" "mtlsalice" "-oBatchMode=yes login"
expect_exit 0 "-o 'BatchMode yes'" -- batch "$PORT" "$TMP/tty1" \
    -o "'BatchMode yes'" </dev/null
expect_in "$TMP/out" "mtlsalice" "-o 'BatchMode yes' login"

# BatchMode from an -F file: ssh -G tells it before anything is answered.
cp "$CFG" "$TMP/batch_config"
printf '\tBatchMode yes\n' >>"$TMP/batch_config"
batch_f() {
	: >"$TMP/tty2"
	: >"$TMP/berr"
	timeout 90 script -qefc "$PROG -F $TMP/batch_config -p $1 localhost \
	    'id -un' 2>$TMP/berr" "$TMP/tty2" </dev/null
}
expect_exit 0 "BatchMode in the -F file" -- batch_f "$PORT"
expect_in "$TMP/out" "mtlsalice" "login with BatchMode from the file"

# A host that asks for a password after the certificate: batch mode ends
# the command there, and nothing reaches the terminal.
expect_exit 255 "BatchMode, password asked" -- batch "$PWPORT" "$TMP/tty3" \
    -o BatchMode=yes </dev/null
expect_in "$TMP/berr" "batch mode: ssh asked for something other" \
    "password question refused"
grep -q "assword" "$TMP/tty3" && fail "a password prompt reached the tty" ||
    ok
grep -q "mtlsalice" "$TMP/out" && fail "command ran without a password" || ok
expect_exit 255 "BatchMode file, password asked" -- batch_f "$PWPORT"
expect_in "$TMP/berr" "batch mode: ssh asked for something other" \
    "password question refused (file)"
grep -q "assword" "$TMP/tty2" && fail "a password prompt reached the tty" ||
    ok
# Without batch mode the same host's question reaches the person, who
# types the password whenever the terminal asks: what the cases above
# show is batch mode's doing.
person() {
	harness_typist 's3cret pass' | batch "$PWPORT" "$TMP/tty4"
}
expect_exit 0 "no BatchMode: the person answers" -- person
expect_in "$TMP/tty4" "Password:" "the person is asked without batch mode"
expect_in "$TMP/out" "mtlsalice" "login with the password typed"

# An encrypted key, a key on a token: refused at once, nothing asked.
openssl pkcs8 -topk8 -v2 aes-256-cbc -passout pass:secret \
    -in "$TMP/alice.key" -out "$TMP/enc.key" 2>/dev/null &&
    chmod 0600 "$TMP/enc.key" || fail "encrypted key"
n=$(accepted "$S")
MTLS_KEY=$TMP/enc.key
export MTLS_KEY
expect_exit 255 "BatchMode, encrypted key" -- batch "$PORT" "$TMP/tty5" \
    -o BatchMode=yes </dev/null
expect_in "$TMP/berr" "enc.key is encrypted" "encrypted key refused"
quiet "$TMP/tty5" "nothing on the terminal (encrypted key)"
MTLS_KEY="pkcs11:token=nosuch;object=alice"
expect_exit 255 "BatchMode, token" -- batch "$PORT" "$TMP/tty6" \
    -o BatchMode=yes </dev/null
expect_in "$TMP/berr" "batch mode: the key is on a token" "token refused"
quiet "$TMP/tty6" "nothing on the terminal (token)"
expect_exit 255 "BatchMode file, token" -- batch_f "$PORT"
expect_in "$TMP/berr" "batch mode: the key is on a token" \
    "token refused (file)"
quiet "$TMP/tty2" "nothing on the terminal (token, file)"
unset MTLS_KEY
[ "$(accepted "$S")" -eq "$n" ] && ok || fail "a refused key logged in"

# --- a host alias: HostName, Port, User from ssh_config -------------------------
cat >"$TMP/alias_config" <<EOF
Host tools-alias
	HostName LOCALHOST
	Port $PORT
	User mtlsalice
Host tools-hka
	HostName localhost
	HostKeyAlias tools-hka-key
	Port $PORT
	User mtlsalice
Host *
	AddressFamily inet
	ConnectTimeout 20
	UserKnownHostsFile /dev/null
	GlobalKnownHostsFile /dev/null
EOF
alias_login() {
	timeout 60 setsid -w "$PROG" -F "$TMP/alias_config" "$1" 'id -un' \
	    </dev/null
}
# An ssh other than the system's: ssh -G runs whatever the files hold.
printf '#!/bin/sh\nexec ssh "$@"\n' >"$TMP/other-ssh"
chmod 0755 "$TMP/other-ssh"
for how in system other; do
	if [ $how = other ]; then
		MTLS_SSH=$TMP/other-ssh
		export MTLS_SSH
	fi
	MTLS_KNOWN_HOSTS=$TMP/kh-$how
	expect_exit 0 "alias ($how ssh)" -- alias_login tools-alias
	expect_in "$TMP/out" "mtlsalice" "alias login ($how ssh)"
	expect_in "$TMP/err" "localhost (CN=" "the HostName was checked ($how)"
	expect_in "$MTLS_KNOWN_HOSTS" "[localhost]:$PORT " \
	    "recorded under the HostName ($how)"
	expect_exit 0 "HostKeyAlias ($how ssh)" -- alias_login tools-hka
	expect_in "$TMP/out" "mtlsalice" "HostKeyAlias login ($how ssh)"
	expect_in "$MTLS_KNOWN_HOSTS" "tools-hka-key," \
	    "recorded under the HostKeyAlias ($how)"
	# batch mode with the alias too
	expect_exit 0 "alias, batch ($how ssh)" -- timeout 60 setsid -w \
	    "$PROG" -F "$TMP/alias_config" -o BatchMode=yes tools-alias \
	    'id -un' </dev/null
	expect_in "$TMP/out" "mtlsalice" "alias batch login ($how ssh)"
done
unset MTLS_SSH

finish
