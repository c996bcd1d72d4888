#!/bin/sh
# users.sh - mtls user|group editing the identity sources: round trips,
# sequential ids that are never reused, refusals (clashes, bad names, a
# primary group in use), concurrent adds under the lock, and a database
# that builds from the result.
. "${TOP_SRCDIR:-.}/tests/lib.sh"

D=$TMP/ids
mkdir -p "$D"
O="--users $D/users --groups $D/groups --db $D/identity.db --range 5000000-5000999"
U="$MTLS user"
G="$MTLS group"

expect_exit 0 "add alice" -- $U add alice $O --gecos "Alice Example" \
    --principal subject=CN=alice,O=Example --principal email=alice@example.org
expect_in "$TMP/out" "uid 5000000, gid 5000000" "first ids"
expect_in "$TMP/err" "mtls db build" "build reminder"
expect_exit 0 "add bob" -- $U add bob $O
expect_in "$TMP/out" "uid 5000001, gid 5000001" "sequential ids"
expect_exit 0 "show alice" -- $U show alice $O
expect_in "$TMP/out" "principal email alice@example.org" "show principal"
expect_in "$TMP/out" "gecos Alice Example" "show gecos"
expect_exit 0 "list" -- $U list $O
expect_in "$TMP/out" "alice:*:5000000:5000000:Alice Example:/home/alice:/bin/sh" \
    "list alice"
expect_in "$TMP/out" "bob:*:5000001:5000001::/home/bob:/bin/sh" "list bob"
for f in users groups ids; do
	m=$(stat -c %a "$D/$f")
	[ "$m" = 644 ] && ok || fail "$f mode $m"
done

# a comment and an untouched block stay as they were
printf '# the people\n' | cat - "$D/users" >"$D/u.tmp" &&
    cat "$D/u.tmp" >"$D/users" && rm "$D/u.tmp"

# deleted ids are not handed out again
expect_exit 0 "del bob" -- $U del bob $O
expect_in "$TMP/out" "deleted user bob and its group" "personal group goes"
expect_exit 1 "show deleted" -- $U show bob $O
expect_exit 0 "add carol" -- $U add carol $O
expect_in "$TMP/out" "uid 5000002, gid 5000002" "no reuse"
expect_in "$D/users" "# the people" "comment kept"

# explicit ids
expect_exit 1 "uid clash" -- $U add dave --uid 5000000 $O
expect_in "$TMP/err" "uid 5000000 is already user alice's" "uid clash reason"
expect_exit 0 "explicit uid" -- $U add dave --uid 5000500 $O
expect_exit 0 "after explicit" -- $U add erin $O
expect_in "$TMP/out" "uid 5000501" "mark follows explicit ids"
expect_exit 1 "out of range" -- $U add fred --uid 42 $O
expect_exit 1 "missing shell" -- $U add fred --shell /nonexistent $O
expect_in "$TMP/err" "nothing was changed" "refusal says so"
expect_exit 1 "bad principal" -- $U add fred --principal email=nobody $O
expect_in "$TMP/err" "malformed email principal" "principal checked"
expect_exit 1 "principal kind" -- $U add fred --principal shoe=x $O

# names
for n in root daemon; do
	expect_exit 1 "system name $n" -- $U add $n $O
done
for n in Alice ../x aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; do
	expect_exit 1 "invalid name $n" -- $U add "$n" $O
	expect_in "$TMP/err" "not a valid user name" "invalid $n reason"
done
expect_exit 1 "duplicate" -- $U add alice $O
expect_exit 1 "newline" -- $U add fred --gecos "$(printf 'a\nuid 1')" $O

# groups
expect_exit 0 "group add" -- $G add devs $O
expect_exit 0 "addmember" -- $G addmember devs alice $O
expect_exit 0 "addmember 2" -- $G addmember devs carol $O
expect_exit 1 "addmember twice" -- $G addmember devs alice $O
expect_exit 0 "group show" -- $G show devs $O
expect_in "$TMP/out" "member carol" "group show members"
expect_exit 0 "delmember" -- $G delmember devs carol $O
expect_exit 0 "group list" -- $G list $O
expect_in "$TMP/out" "devs:x:5000" "group list line"
expect_exit 0 "gid explicit" -- $G add ops --gid 5000900 $O
expect_exit 1 "gid clash" -- $G add ops2 --gid 5000900 $O
expect_exit 0 "primary devs" -- $U add gina --group devs $O
expect_exit 1 "del primary group" -- $G del devs $O
expect_in "$TMP/err" "primary group of user gina" "primary refusal reason"
expect_exit 0 "del gina" -- $U del gina $O
expect_exit 0 "del devs" -- $G del devs $O
expect_exit 1 "show deleted group" -- $G show devs $O

# concurrent adds: distinct ids, a valid file
before=$(grep -c '^user ' "$D/users")
i=0
while [ $i -lt 10 ]; do
	$U add par$i $O >/dev/null 2>&1 &
	i=$((i + 1))
done
wait
n=$(grep -c '^user par' "$D/users")
[ "$n" = 10 ] && ok || fail "concurrent adds: $n of 10"
d=$(grep '^	uid ' "$D/users" | sort | uniq -d)
[ -z "$d" ] && ok || fail "duplicate uids: $d"
[ "$(grep -c '^user ' "$D/users")" = $((before + 10)) ] && ok ||
    fail "user count"

# the result builds, and the database lists the users
B="--users $D/users --groups $D/groups --range 5000000-5000999"
expect_exit 0 "db build" -- $MTLS db build $B --db "$D/identity.db"
expect_exit 0 "db show" -- $MTLS db show --db "$D/identity.db"
expect_in "$TMP/out" "alice:*:5000000:5000000:Alice Example" "db alice"
expect_in "$TMP/out" "par9:*:" "db par9"
expect_exit 0 "--build" -- $U add hal $O --build
expect_in "$TMP/out" "identity.db:" "--build ran"
expect_exit 0 "db user" -- $MTLS db show --db "$D/identity.db" user hal

expect_exit 2 "usage" -- $U frob $O
expect_exit 2 "add without name" -- $U add $O
finish
