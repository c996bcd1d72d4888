#!/bin/sh
# pam-symbols.sh - pam_mtls.so exports the pam_sm_* entry points and
# nothing else (its version script), and needs no undefined symbol that
# its libraries do not provide.
. "${TOP_SRCDIR:-.}/tests/lib.sh"

SO=${PAM_MTLS:-pam_mtls/.libs/pam_mtls.so}
[ -f "$SO" ] && ok || fail "no $SO"

nm -D --defined-only "$SO" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }' |
    sed 's/@.*//' | sort -u > "$TMP/syms"
printf '%s\n' pam_sm_acct_mgmt pam_sm_authenticate pam_sm_close_session \
    pam_sm_open_session pam_sm_setcred > "$TMP/want"
if cmp -s "$TMP/syms" "$TMP/want"; then
	ok
else
	fail "exported symbols differ: $(diff "$TMP/want" "$TMP/syms" | tr '\n' ' ')"
fi

# Every undefined symbol resolves against the module's own dependencies.
LD_BIND_NOW=1 ldd -r "$SO" > "$TMP/ldd" 2>&1
grep -q 'undefined symbol' "$TMP/ldd" && fail "$(grep undefined "$TMP/ldd")" || ok

# No login waits on the network: the module reads local files only.  It
# links neither libcurl nor libldap (mtls crl fetch and mtls db sync are
# the tool's) and calls nothing that opens a network connection or
# resolves a name.
objdump -p "$SO" | awk '$1 == "NEEDED" { print $2 }' >"$TMP/needed"
grep -Eq '^lib(curl|ldap|lber)' "$TMP/needed" &&
    fail "pam_mtls.so links $(tr '\n' ' ' <"$TMP/needed")" || ok
nm -D --undefined-only "$SO" | awk '{ print $2 }' | sed 's/@.*//' |
    grep -Ex 'socket|connect|getaddrinfo|gethostbyname2?(_r)?|sendto|sendmsg' \
    >"$TMP/net" && fail "pam_mtls.so calls $(tr '\n' ' ' <"$TMP/net")" || ok

finish
