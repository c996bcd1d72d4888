#!/bin/sh
# debs-inner.sh DIR - the part of tests/debs-install.sh that runs inside
# the throwaway root (an overlay of /, chrooted into): install the built
# packages from DIR, enable certificate login with pam-auth-update, log in
# at the console with a SoftHSM token and over SSH with `mtls ssh`, using
# the installed files only, then remove and purge and compare /etc/pam.d
# and /etc/nsswitch.conf with what they were before.  Prints one line per
# check and "N passed, M failed".
set -u
D=$1
passed=0
failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*" >&2; }
check() {
	what=$1
	shift
	if "$@"; then ok; else fail "$what"; fi
}
finish() {
	harness_stop_all 2>/dev/null || :
	printf '%d passed, %d failed\n' "$passed" "$failed"
	[ "$failed" -eq 0 ] || exit 1
	exit 0
}
die() { fail "$*"; finish; }

export DEBIAN_FRONTEND=noninteractive
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

snapshot() {
	(cd /etc && ls -A pam.d && sha256sum nsswitch.conf pam.d/*)
}
snapshot >"$D/before"
pam_snapshot() {
	(cd /etc && ls -A pam.d && sha256sum pam.d/*)
}
pam_snapshot >"$D/pam.before"

dpkg -s mtls >/dev/null 2>&1 && die "mtls is already installed here"

# ---- install --------------------------------------------------------------
debs=$(ls "$D"/*.deb | grep -v dbgsym)
# shellcheck disable=SC2086
dpkg -i $debs >"$D/dpkg.log" 2>&1 || { cat "$D/dpkg.log"; die "dpkg -i"; }
ok
for p in mtls libpam-mtls libnss-mtls; do
	check "$p is installed" dpkg -s "$p" >/dev/null
done
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null ||
    gcc -print-multiarch)
check "pam_mtls.so in the PAM module directory" \
    test -f "/usr/lib/$MA/security/pam_mtls.so"
check "libnss_mtls.so.2 beside libc's NSS modules" \
    test -f "/usr/lib/$MA/libnss_mtls.so.2"
check "mtls on PATH" test "$(command -v mtls)" = /usr/bin/mtls
for m in mtls.1 mtls.conf.5 mtls-identity.5 pam_mtls.8 libnss_mtls.8; do
	check "man page $m" test -f "/usr/share/man/man${m##*.}/$m.gz"
done
check "the CRL timer" test -f /lib/systemd/system/mtls-crl-update.timer
check "the CRL service" test -f /lib/systemd/system/mtls-crl-update.service
check "the directory sync timer" \
    test -f /lib/systemd/system/mtls-db-sync.timer
check "the directory sync service" \
    test -f /lib/systemd/system/mtls-db-sync.service
check "the cache directory" test -d /var/cache/mtls
check "the state directory" test -d /var/lib/mtls

# nsswitch.conf: mtls after files on passwd and group, once, even after a
# second install; no other line touched.
words() { grep "^$1:" /etc/nsswitch.conf | tr -s ' \t' '\n' | grep -c '^mtls$'; }
check "passwd: files mtls" grep -Eq '^passwd:.*[[:space:]]files mtls' \
    /etc/nsswitch.conf
check "group: files mtls" grep -Eq '^group:.*[[:space:]]files mtls' \
    /etc/nsswitch.conf
# shellcheck disable=SC2086
dpkg -i $debs >"$D/dpkg2.log" 2>&1 || { cat "$D/dpkg2.log"; fail "reinstall"; }
check "mtls once on passwd" test "$(words passwd)" = 1
check "mtls once on group" test "$(words group)" = 1
check "shadow line unchanged" sh -c \
    "grep '^shadow:' /etc/nsswitch.conf | grep -vq mtls"

# pam-auth-update: the profile is there and off.
check "the profile is installed" test -f /usr/share/pam-configs/mtls
check "common-auth untouched on install" \
    sh -c '! grep -q pam_mtls /etc/pam.d/common-auth'

# ---- an organization: CA, host, a person whose account is in the db --------
W=$(mktemp -d /tmp/mtls-w.XXXXXX)
chmod 0755 "$W"
mtls ca init "$W/ca" --name "Packaged Corp Root CA" --org "Packaged Corp" \
    >/dev/null || die "mtls ca init"
mtls ca issue "$W/ca" --host localhost --out "$W/host" >/dev/null ||
    die "issue host"
mtls ca issue "$W/ca" --user mtlsalice --out "$W/alice" >/dev/null ||
    die "issue alice"
subject=$(mtls verify --ca "$W/ca/ca.pem" --crl "$W/ca/crl.pem" "$W/alice.pem" |
    sed -n 's/^ *subject: *//p')
[ -n "$subject" ] || die "mtls verify gave no subject"

mkdir -p /etc/mtls
install -m 0644 "$W/ca/ca.pem" /etc/mtls/ca.pem
install -m 0644 "$W/ca/crl.pem" /etc/mtls/crl.pem
install -m 0644 "$W/host.pem" /etc/mtls/host.pem
install -m 0600 "$W/host.key" /etc/mtls/host.key
cat >/etc/mtls/users <<USERS
user mtlsalice
	uid 1900000001
	gid 1900000001
	gecos Alice
	home /home/mtlsalice
	shell /bin/sh
	principal subject $subject
USERS
printf 'group mtlsalice\n\tgid 1900000001\n' >/etc/mtls/groups
chmod 0644 /etc/mtls/users /etc/mtls/groups
mkdir -p /home/mtlsalice
chown 1900000001:1900000001 /home/mtlsalice
mtls db build >"$D/db.log" 2>&1 || { cat "$D/db.log"; die "mtls db build"; }
check "the database in its default place" test -s /var/lib/mtls/identity.db
getent passwd mtlsalice >"$D/getent.out" || :
check "getent passwd through the installed NSS module" \
    grep -q '^mtlsalice:[^:]*:1900000001:1900000001:Alice:/home/mtlsalice:/bin/sh$' "$D/getent.out"
check "getent group through the installed NSS module" \
    sh -c 'getent group mtlsalice | grep -q "^mtlsalice:[^:]*:1900000001:"'

cat >/etc/mtls/mtls.conf <<CONF
trust_anchor /etc/mtls/ca.pem
crl /etc/mtls/crl.pem
host_certificate /etc/mtls/host.pem
host_key /etc/mtls/host.key
map from=db
CONF
chmod 0644 /etc/mtls/mtls.conf
mtls config check >"$D/check.log" 2>&1 || { cat "$D/check.log"; fail "mtls config check"; }
mtls crl update >"$D/crl.log" 2>&1 || { cat "$D/crl.log"; fail "mtls crl update"; }
check "the revocation index in /var/cache/mtls" \
    sh -c 'ls /var/cache/mtls | grep -q .'
check "the CRL service runs mtls crl fetch" grep -q \
    '^ExecStart=/usr/bin/mtls crl fetch$' \
    /lib/systemd/system/mtls-crl-update.service
mtls crl fetch >"$D/fetch.log" 2>&1 || { cat "$D/fetch.log"; fail "mtls crl fetch"; }
check "mtls crl fetch leaves a CRL without a URL to the index update" \
    grep -q '^/etc/mtls/crl.pem: not fetched: no URL' "$D/fetch.log"

# ---- pam-auth-update --enable: console login with a token ------------------
pam-auth-update --enable mtls >"$D/pau.log" 2>&1 || { cat "$D/pau.log"; fail "pam-auth-update --enable"; }
check "common-auth has pam_mtls" grep -q 'pam_mtls.so' /etc/pam.d/common-auth
check "pam_mtls comes before pam_unix in common-auth" sh -c \
    "grep -n 'pam_mtls.so\|pam_unix.so' /etc/pam.d/common-auth | head -1 | grep -q pam_mtls"
check "common-account has pam_mtls" grep -q 'pam_mtls.so' /etc/pam.d/common-account

softhsm2-util --init-token --free --label Alice --pin 1234 --so-pin 5678 \
    >/dev/null || die "softhsm2-util"
SOFTHSM=$(find /usr/lib -name libsofthsm2.so | head -1)
for what in "--load-privkey $W/alice.key" "--load-certificate $W/alice.pem"; do
	# shellcheck disable=SC2086
	p11tool --provider "$SOFTHSM" --login --set-pin=1234 --write $what \
	    --label alice --id 01 "pkcs11:token=Alice" >/dev/null 2>&1 ||
	    die "p11tool $what"
done

# login(1) on a pseudo-terminal, as getty would start it: the PIN, then a
# command in the session.
console() {
	{ sleep 2; printf '%s\n' "$1"; sleep 2; printf 'id; exit\n'; sleep 1; } |
	    timeout 60 script -qec "login mtlsalice" /dev/null >"$D/login.out" 2>&1
}
console 1234
check "console login with the token's certificate" \
    grep -q 'uid=1900000001(mtlsalice)' "$D/login.out"
check "login asked for the PIN, naming the token" \
    grep -q 'PIN for token Alice: ' "$D/login.out"
[ "$failed" -eq 0 ] || cat "$D/login.out" >&2
console 9999
check "a wrong PIN does not log in" \
    sh -c "! grep -q 'uid=1900000001' '$D/login.out'"
check "a wrong PIN ends the login: no password prompt" \
    sh -c "! grep -q 'Password:' '$D/login.out'"
console ""
check "Enter at the PIN prompt does not log in by certificate" \
    sh -c "! grep -q 'uid=1900000001' '$D/login.out'"
check "Enter at the PIN prompt goes on to the password" \
    grep -q 'Password:' "$D/login.out"

# ---- SSH: sshd with the explicit /etc/pam.d/sshd edit, mtls ssh ------------
cp /etc/pam.d/sshd "$D/sshd.pam.orig"
{
	echo "auth sufficient pam_mtls.so"
	cat "$D/sshd.pam.orig"
} >/etc/pam.d/sshd
. "$D/sshd-harness.sh"
H=$W/sshd
HARNESS_USERS="mtlsbob:60002" HARNESS_NSSWITCH=/etc/nsswitch.conf \
    harness_start "$H" /etc/pam.d/sshd >/dev/null 2>"$D/harness.err" ||
    { cat "$D/harness.err"; die "sshd"; }
PORT=$(harness_port "$H")
# the host's SSH keys, for the binding, are the harness's
echo "ssh_host_key $H/etc/ssh_host_*_key.pub" >>/etc/mtls/mtls.conf
printf 'trust_anchor /etc/mtls/ca.pem\ncrl /etc/mtls/crl.pem\n' >"$W/client.conf"
chmod 0644 "$W/client.conf"
MTLS_KNOWN_HOSTS=$W/known_hosts timeout 90 setsid -w mtls ssh \
    --config "$W/client.conf" --cert "$W/alice.pem" --key "$W/alice.key" \
    -F /dev/null -p "$PORT" -o UserKnownHostsFile=/dev/null \
    -o AddressFamily=inet -o LogLevel=ERROR mtlsalice@localhost id \
    </dev/null >"$D/ssh.out" 2>"$D/ssh.err"
check "mtls ssh login with the installed pam_mtls, NSS and mtls" \
    grep -q 'uid=1900000001(mtlsalice)' "$D/ssh.out"
# the installed mtls-ssh: ssh's arguments alone, files from the
# environment, in batch mode
check "mtls-ssh is a link to mtls" test "$(readlink /usr/bin/mtls-ssh)" = mtls
MTLS_KNOWN_HOSTS=$W/known_hosts MTLS_CONFIG=$W/client.conf \
    MTLS_CERT=$W/alice.pem MTLS_KEY=$W/alice.key timeout 90 setsid -w \
    /usr/bin/mtls-ssh -F /dev/null -p "$PORT" -o BatchMode=yes \
    -o UserKnownHostsFile=/dev/null -o AddressFamily=inet -o LogLevel=ERROR \
    mtlsalice@localhost id </dev/null >"$D/ssh2.out" 2>>"$D/ssh.err"
check "mtls-ssh login in batch mode with the installed files" \
    grep -q 'uid=1900000001(mtlsalice)' "$D/ssh2.out"
[ "$failed" -eq 0 ] || cat "$D/ssh.err" "$(harness_log "$H")" >&2
harness_stop "$H"
cp "$D/sshd.pam.orig" /etc/pam.d/sshd

# ---- pam-auth-update --remove: common-* as they were -----------------------
pam-auth-update --remove mtls >"$D/pau.log" 2>&1 || { cat "$D/pau.log"; fail "pam-auth-update --remove"; }
pam_snapshot >"$D/pam.disabled"
if cmp -s "$D/pam.before" "$D/pam.disabled"; then
	ok
else
	fail "/etc/pam.d differs after pam-auth-update --remove"
	diff "$D/pam.before" "$D/pam.disabled" >&2
fi
pam-auth-update --enable mtls >"$D/pau.log" 2>&1 || { cat "$D/pau.log"; fail "pam-auth-update --enable again"; }
check "enabled again" grep -q 'pam_mtls.so' /etc/pam.d/common-auth

# ---- remove, purge: /etc as it was ------------------------------------------
dpkg -r mtls libpam-mtls libnss-mtls >"$D/rm.log" 2>&1 || { cat "$D/rm.log"; fail "dpkg -r"; }
check "common-auth without pam_mtls after remove" \
    sh -c '! grep -q pam_mtls /etc/pam.d/common-auth'
check "nsswitch.conf without mtls after remove" \
    sh -c '! grep -Eq "^(passwd|group):.*[[:space:]]mtls" /etc/nsswitch.conf'
dpkg -P mtls libpam-mtls libnss-mtls >"$D/purge.log" 2>&1 || { cat "$D/purge.log"; fail "dpkg -P"; }
snapshot >"$D/after"
if cmp -s "$D/before" "$D/after"; then
	ok
else
	fail "/etc/pam.d or /etc/nsswitch.conf differ after purge"
	diff "$D/before" "$D/after" >&2
fi
finish
