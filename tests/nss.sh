#!/bin/sh
# nss.sh - libnss_mtls.so.2 from the outside: it links libc alone and
# exports only _nss_mtls_*; getent answers through nss_wrapper (any user)
# and, as root, through a real nsswitch.conf ("files mtls") in a private
# mount namespace; unknown names are not found; a replaced database is
# followed; a database writable by others is ignored.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
: "${NSS_MTLS:?NSS_MTLS is not set (run through make check)}"

# --- what the module links and exports -----------------------------------
needed=$(objdump -p "$NSS_MTLS" | awk '$1 == "NEEDED" { print $2 }' | tr '\n' ' ')
[ "$needed" = "libc.so.6 " ] && ok || fail "links more than libc: $needed"
bad=$(nm -D --defined-only "$NSS_MTLS" | awk '{ print $3 }' |
    grep -v '^_nss_mtls_' | grep -v '^$' || true)
[ -z "$bad" ] && ok || fail "exports more than _nss_mtls_*: $bad"
n=$(nm -D --defined-only "$NSS_MTLS" | grep -c ' T _nss_mtls_')
[ "$n" -eq 11 ] && ok || fail "exports $n entry points, not 11"

# --- a database -------------------------------------------------------------
D=$TMP/id
mkdir -p "$D"
cat >"$D/users" <<EOF2
user dbalice
	uid 1900000100
	gid 1900000100
	gecos DB Alice
	home /home/dbalice
	shell /bin/sh
user dbbob
	uid 1900000101
	gid 1900000100
	home /home/dbbob
EOF2
cat >"$D/groups" <<EOF2
group dbstaff
	gid 1900000100
	member dbalice
group dbops
	gid 1900000101
	member dbalice
	member dbbob
EOF2
chmod 0644 "$D/users" "$D/groups"
DB=$D/identity.db
$MTLS db build --users "$D/users" --groups "$D/groups" --db "$DB" -q ||
    fail "db build"

printf 'root:x:0:0:root:/root:/bin/sh\n' >"$D/passwd"
printf 'root:x:0:\n' >"$D/group"

# --- nss_wrapper ------------------------------------------------------------
WRAPPER=$(for d in /usr/lib/*-linux-gnu /usr/lib64 /usr/lib; do
	[ -e "$d/libnss_wrapper.so" ] && echo "$d/libnss_wrapper.so"; done |
    head -n 1)
if [ -z "$WRAPPER" ]; then
	fail "libnss_wrapper.so not found (Debian: libnss-wrapper)"
else
	wrap() {
		LD_PRELOAD=$WRAPPER NSS_WRAPPER_PASSWD=$D/passwd \
		    NSS_WRAPPER_GROUP=$D/group \
		    NSS_WRAPPER_MODULE_SO_PATH=$NSS_MTLS \
		    NSS_WRAPPER_MODULE_FN_PREFIX=mtls MTLS_NSS_DB=$DB "$@"
	}
	expect_exit 0 "wrapper passwd" -- wrap getent passwd dbalice
	expect_in "$TMP/out" \
	    "dbalice:*:1900000100:1900000100:DB Alice:/home/dbalice:/bin/sh" \
	    "wrapper passwd line"
	expect_exit 0 "wrapper uid" -- wrap getent passwd 1900000101
	expect_in "$TMP/out" "dbbob:*:1900000101:" "wrapper uid line"
	expect_exit 0 "wrapper group" -- wrap getent group dbops
	expect_in "$TMP/out" "dbops:x:1900000101:dbalice,dbbob" "group line"
	expect_exit 0 "wrapper id" -- wrap id dbalice
	expect_in "$TMP/out" "groups=1900000100(dbstaff),1900000101(dbops)" \
	    "wrapper initgroups"
	expect_exit 2 "wrapper unknown" -- wrap getent passwd nosuchuser
	expect_exit 0 "wrapper files still answer" -- wrap getent passwd root
	expect_exit 0 "wrapper enumeration" -- wrap getent passwd
	expect_in "$TMP/out" "dbbob:*:1900000101" "enumeration has dbbob"
fi

# --- glibc through a real nsswitch.conf (root: a private mount namespace)
if [ "$(id -u)" -ne 0 ]; then
	echo "nss: the nsswitch.conf part needs root; skipped" >&2
	finish
	exit $?
fi
printf 'passwd: files mtls\ngroup: files mtls\nshadow: files\n' \
    >"$D/nsswitch.conf"
chmod 0644 "$D/nsswitch.conf"
# glibc finds libnss_mtls.so.2 through LD_LIBRARY_PATH (not setuid).
ns() {
	MTLS_NSS_DB=$DB LD_LIBRARY_PATH=$(dirname "$NSS_MTLS") \
	    unshare --mount --propagation private sh -c \
	    'mount --bind "$0" /etc/nsswitch.conf && exec "$@"' \
	    "$D/nsswitch.conf" "$@"
}
expect_exit 0 "getent passwd" -- ns getent passwd dbalice
expect_in "$TMP/out" "dbalice:*:1900000100:1900000100:DB Alice" "passwd"
expect_exit 0 "getent passwd by uid" -- ns getent passwd 1900000101
expect_in "$TMP/out" "dbbob:*:1900000101:1900000100::/home/dbbob:/bin/sh" \
    "uid"
expect_exit 0 "getent group" -- ns getent group 1900000101
expect_in "$TMP/out" "dbops:x:1900000101:dbalice,dbbob" "gid"
expect_exit 0 "getent initgroups" -- ns getent initgroups dbbob
expect_in "$TMP/out" "1900000101" "initgroups"
expect_exit 2 "getent unknown" -- ns getent passwd nosuchuser
expect_exit 0 "root from files" -- ns getent passwd root
expect_exit 0 "id" -- ns id dbalice
expect_in "$TMP/out" "uid=1900000100(dbalice) gid=1900000100(dbstaff)" "id"
# ls -l names the owner of a file that a database user owns
touch "$D/owned"
chown 1900000101:1900000100 "$D/owned"
expect_exit 0 "ls -l" -- ns ls -l "$D/owned"
expect_in "$TMP/out" "dbbob dbstaff" "ls -l owner"

# a replaced database is followed (a new process reads the new file)
sed 's/DB Alice/Alice Two/' "$D/users" >"$D/users.new"
chmod 0644 "$D/users.new"
$MTLS db build --users "$D/users.new" --groups "$D/groups" --db "$DB" -q ||
    fail "rebuild"
expect_exit 0 "replaced" -- ns getent passwd dbalice
expect_in "$TMP/out" "Alice Two" "replaced content"
# a database others may write is not used
chmod 0666 "$DB"
expect_exit 2 "writable database ignored" -- ns getent passwd dbalice
chmod 0644 "$DB"

finish
