#!/bin/sh
# db.sh - mtls db build, check and show as an administrator uses them:
# a good build, lookups through show, and refusals (duplicates, clashes
# with the system's files, ids out of range, missing shells, bad
# principals) that name file:line and leave the old database in place.
. "${TOP_SRCDIR:-.}/tests/lib.sh"

D=$TMP/db
mkdir -p "$D"
cat >"$D/passwd" <<EOF2
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1::/usr/sbin:/usr/sbin/nologin
EOF2
cat >"$D/group" <<EOF2
root:x:0:
users:x:100:
EOF2
cat >"$D/users" <<EOF2
# people and robots
user alice
	uid 1900000000
	gid 1900000000
	gecos Alice Example
	home /home/alice
	shell /bin/sh
	principal subject CN=alice,O=Example
	principal email alice@example.org

user deploy
	uid 1900000001
	gid 100
	home /srv/deploy
EOF2
cat >"$D/groups" <<EOF2
group staff
	gid 1900000000
	member alice
	member deploy
EOF2
chmod 0644 "$D"/*
O="--users $D/users --groups $D/groups --passwd $D/passwd --group $D/group"
DB=$D/identity.db

expect_exit 0 "build" -- $MTLS db build $O --db "$DB"
expect_in "$TMP/out" "2 users, 1 groups" "build summary"
expect_exit 0 "check" -- $MTLS db check $O --db "$DB"
expect_in "$TMP/out" "identity.db: 2 users, 1 groups: OK" "check db"
expect_exit 0 "show user" -- $MTLS db show --db "$DB" user alice
expect_in "$TMP/out" \
    "alice:*:1900000000:1900000000:Alice Example:/home/alice:/bin/sh" \
    "show user line"
expect_in "$TMP/out" "principal email alice@example.org" "principals"
expect_exit 0 "show uid" -- $MTLS db show --db "$DB" uid 1900000001
expect_in "$TMP/out" "deploy:*:1900000001:100::/srv/deploy:/bin/sh" "uid"
expect_exit 0 "show group" -- $MTLS db show --db "$DB" gid 1900000000
expect_in "$TMP/out" "staff:x:1900000000:alice,deploy" "group line"
expect_exit 0 "show member" -- $MTLS db show --db "$DB" member deploy
expect_in "$TMP/out" "1900000000" "membership"
expect_exit 1 "unknown user" -- $MTLS db show --db "$DB" user root
expect_exit 0 "show all" -- $MTLS db show --db "$DB"
expect_in "$TMP/out" "# $DB: 2 users, 1 groups" "show all header"
mode=$(stat -c %a "$DB")
[ "$mode" = 644 ] && ok || fail "database mode $mode"

# Each broken source is refused with its reason; the database stays.
good=$(sha256sum <"$DB")
refuse() {
	what=$1
	reason=$2
	expect_exit 1 "$what" -- $MTLS db build $O --db "$DB"
	expect_in "$TMP/err" "$reason" "$what reason"
	expect_in "$TMP/err" "the database was not changed" "$what kept"
	[ "$(sha256sum <"$DB")" = "$good" ] && ok ||
	    fail "$what: the database changed"
	cp "$D/users.good" "$D/users"
	cp "$D/groups.good" "$D/groups"
}
cp "$D/users" "$D/users.good"
cp "$D/groups" "$D/groups.good"

printf 'user alice\nuid 1900000005\ngid 100\nhome /h\n' >>"$D/users"
refuse "duplicate name" "users:15: duplicate user name 'alice' (also line 2)"
printf 'user bob\nuid 1900000001\ngid 100\nhome /h\n' >>"$D/users"
refuse "duplicate uid" "duplicate user id 1900000001"
printf 'user root\nuid 1900000007\ngid 100\nhome /h\n' >>"$D/users"
refuse "clash with passwd" "user root already exists in the system's passwd"
printf 'user bob\nuid 1000\ngid 100\nhome /h\n' >>"$D/users"
refuse "uid out of range" "uid 1000 of bob is outside the range"
printf 'user bob\nuid 1900000007\ngid 100\nhome /h\nshell /nonexistent\n' \
    >>"$D/users"
refuse "missing shell" "shell /nonexistent does not exist"
printf 'user bob\nuid 1900000007\ngid 100\nhome /h\nprincipal email x\n' \
    >>"$D/users"
refuse "bad principal" "malformed email principal"
printf 'group users\ngid 1900000003\n' >>"$D/groups"
refuse "clash with group" "group users already exists in the system's group"
printf 'group staff\ngid 1900000004\n' >>"$D/groups"
refuse "duplicate group" "duplicate group name 'staff'"
printf 'user Bob\nuid 1900000007\ngid 100\nhome /h\n' >>"$D/users"
refuse "bad name" "'Bob' is not a valid user name"

# The range is configurable; the default excludes small ids.
printf 'user bob\nuid 5000\ngid 100\nhome /h\n' >>"$D/users"
expect_exit 0 "custom range" -- $MTLS db build $O --db "$DB" \
    --range 5000-1999999999
expect_exit 1 "custom range excludes" -- $MTLS db check $O --db "$DB" \
    --range 5001-1999999999
cp "$D/users.good" "$D/users"
expect_exit 2 "bad range" -- $MTLS db build $O --db "$DB" --range 5-3

# A source writable by others is refused (it decides who exists).
chmod 0666 "$D/users"
expect_exit 1 "writable source" -- $MTLS db build $O --db "$DB"
chmod 0644 "$D/users"

# A corrupt database is reported by check and show.
$MTLS db build $O --db "$DB" >/dev/null || fail "rebuild"
head -c 100 "$DB" >"$D/trunc.db"
expect_exit 1 "truncated" -- $MTLS db show --db "$D/trunc.db"
expect_in "$TMP/err" "corrupt" "truncated reason"
expect_exit 2 "usage" -- $MTLS db frobnicate

# --- mtls.conf: map from=db gives the accounts whose principals match ----
F=$FIXTURES
fp=$(openssl x509 -in "$F/leaf-good.pem" -noout -fingerprint -sha256 |
    sed 's/.*=//')
cat >"$D/map-users" <<EOF2
user dbdeploy
	uid 1900000010
	gid 100
	home /srv/deploy
	principal subject CN=alice,UID=alice,O=mtls test
user dbpinned
	uid 1900000011
	gid 100
	home /srv/pinned
	principal fingerprint $fp
user dbother
	uid 1900000012
	gid 100
	home /srv/other
	principal email nobody@example.org
	principal subject CN=alice,UID=alice,O=mtls tes
	principal email Alice@example.com
user dburi
	uid 1900000013
	gid 100
	home /srv/uri
	principal uri https://id.example.com/users/alice
user dbmail
	uid 1900000014
	gid 100
	home /srv/mail
	principal email alice@example.com
	principal email alice@example.com
user dbupn
	uid 1900000015
	gid 100
	home /srv/upn
	principal upn alice@EXAMPLE.COM
user dbmail2
	uid 1900000016
	gid 100
	home /srv/mail2
	principal email alice@example.com
	principal upn alice@EXAMPLE.COM
EOF2
printf '' >"$D/map-groups"
chmod 0644 "$D/map-users" "$D/map-groups"
$MTLS db build --users "$D/map-users" --groups "$D/map-groups" \
    --passwd "$D/passwd" --group "$D/group" --db "$D/map.db" -q ||
    fail "map db build"
cat "$F/root.crl" "$F/inter.crl" >"$D/crl.pem"
mkconf() {
	cat >"$D/mtls.conf" <<EOF2
trust_anchor $F/root.pem
intermediate $F/inter.pem
crl $D/crl.pem
identity_db $1
$2
EOF2
	chmod 0644 "$D/mtls.conf"
}
mkconf "$D/map.db" "map from=db"
expect_exit 0 "map from=db" -- $MTLS map --config "$D/mtls.conf" \
    --at 1767225600 "$F/leaf-good.pem"
expect_in "$TMP/out" "dbdeploy" "subject principal"
expect_in "$TMP/out" "dbpinned" "fingerprint principal"
if grep -q dbother "$TMP/out"; then fail "dbother mapped"; else ok; fi
# every kind of principal, an e-mail that two accounts list (and one of
# them twice): each account once, in the order of the users file
got=$(cut -f1 "$TMP/out" | tr '\n' ' ')
[ "$got" = "dbdeploy dbpinned dburi dbmail dbupn dbmail2 " ] &&
    ok || fail "from=db accounts and order: $got"
mkconf "$D/map.db" "map from=db issuer=CN=nobody"
expect_exit 1 "from=db with a selector that fails" -- $MTLS map \
    --config "$D/mtls.conf" --at 1767225600 "$F/leaf-good.pem"
mkconf "$D/none.db" "map from=db"
expect_exit 1 "missing database maps nothing" -- $MTLS map \
    --config "$D/mtls.conf" --at 1767225600 "$F/leaf-good.pem"
mkconf "$D/map.db" "map from=db fingerprint=$fp allow_root"
expect_exit 2 "from=db refuses allow_root" -- $MTLS map \
    --config "$D/mtls.conf" --at 1767225600 "$F/leaf-good.pem"
expect_in "$TMP/err" "from=db never maps root" "allow_root reason"
chmod 0666 "$D/map.db"
mkconf "$D/map.db" "map from=db"
expect_exit 1 "writable database maps nothing" -- $MTLS map \
    --config "$D/mtls.conf" --at 1767225600 "$F/leaf-good.pem"
chmod 0644 "$D/map.db"

# A database of format version 1 (before the principal index) is refused
# by show and by from=db, with a line that says to build it again.
cp "$D/map.db" "$D/old.db"
printf '\001' | dd of="$D/old.db" bs=1 seek=8 conv=notrunc 2>/dev/null
expect_exit 1 "version 1 database" -- $MTLS db show --db "$D/old.db"
expect_in "$TMP/err" "format version 1, not 2: run \`mtls db build\`" \
    "version 1 reason"
mkconf "$D/old.db" "map from=db"
expect_exit 1 "version 1 database maps nothing" -- $MTLS map \
    --config "$D/mtls.conf" --at 1767225600 "$F/leaf-good.pem"
expect_in "$TMP/err" "format version 1, not 2: run" "from=db version 1"

finish
