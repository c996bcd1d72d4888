# sshd-harness.sh - run a real sshd on 127.0.0.1 with a PAM stack, users
# and an nsswitch.conf of the test's own, without modifying the host.
#
# POSIX sh library, to be sourced (by tests/*.sh and scripts/demo); needs
# root, util-linux (unshare, setsid), openssh-server, openssl.
#
# How: sshd runs in a private mount namespace (unshare --mount
# --propagation private).  Inside it, and only there, files of the
# harness directory are bind-mounted over the host's:
#
#   /etc/pam.d/sshd      the stack under test.  sshd calls pam_start() with
#                        its program name, "sshd", and PAM reads
#                        /etc/pam.d/sshd on every login.
#   /etc/nsswitch.conf   "files" only by default, so that the private
#                        passwd below is what sshd and PAM see (and no
#                        systemd/ldap/sss lookup answers for test users).
#   /etc/passwd          the host's entries (root, sshd's privilege
#   /etc/group           separation user "sshd", ...) plus the test users;
#                        test users never enter the host's files.
#   /etc/shadow          only the test users, with locked passwords ("!"):
#                        pam_unix's account phase reads the shadow entry of
#                        a user whose passwd field is "x".  The host's
#                        hashes are not copied.
#   /home                DIR/home, so that the test users' homes are
#                        reachable whatever the modes of DIR's parents.
#   /run                 a fresh tmpfs: sshd needs its privilege separation
#                        directory /run/sshd (root-owned, not writable by
#                        others), which does not exist on a host without a
#                        running system sshd; sshd writes /run/utmp on
#                        logins; and nscd's socket under /run, were nscd
#                        running, would answer from the host's passwd.
#                        /run/systemd/journal is bound back when present so
#                        that syslog(3) from PAM modules still reaches
#                        journald through /dev/log.
#   /var/log             a fresh tmpfs: sshd records logins in wtmp,
#                        lastlog and btmp; the host's are left alone.
#
# sshd also gets a PID namespace of its own (with its own /proc), whose
# init it is: when harness_stop kills it, the kernel kills and reaps every
# other process of the namespace (per-connection children, users'
# sessions), so nothing is left behind and no zombie waits for the host's
# init.  It runs in the background in a session of its own (setsid), and
# the namespaces live as long as it does.  Processes are identified by
# pid and by /proc/PID/ns/mnt, never by name.
#
# The network is the host's: the client needs no namespace, and sshd listens
# on 127.0.0.1 only, on a free port picked from 20000-49999 (never 22).
#
# API (DIR is a directory the harness creates; every state is kept there,
# so several harnesses may run at once):
#
#   harness_start DIR PAMSTACK_FILE [KEYWORD=VALUE...]
#       Set up DIR and start sshd with the PAM stack PAMSTACK_FILE; each
#       further argument is an sshd_config option given with -o, which
#       takes precedence over the harness's defaults ("LogLevel=DEBUG3").
#       Returns when sshd listens (at most about 10 s), non-zero with the
#       reason on stderr otherwise.  Environment, read at start:
#         HARNESS_USERS     "name:uid ..." test users, default
#                           "mtlsalice:60001 mtlsbob:60002"; each gets a
#                           group of the same name and id, home
#                           /home/NAME (DIR/home/NAME), shell /bin/sh.
#         HARNESS_NSSWITCH  a file to use as nsswitch.conf instead of the
#                           files-only default.
#       The environment of harness_start is sshd's (so LD_LIBRARY_PATH
#       reaches its dlopen() of NSS modules); users' sessions get the
#       environment sshd builds for them.
#   harness_stop DIR       Kill every process of DIR's namespace and wait.
#                          Safe to call twice or after a failed start.
#   harness_stop_all       harness_stop for every DIR started by this shell;
#                          for an EXIT trap.
#   harness_port DIR       Print the TCP port sshd listens on.
#   harness_pid DIR        Print sshd's process id (as the host sees it).
#   harness_log DIR        Print the path of sshd's log (sshd -E).
#   harness_set_password DIR USER PASSWORD
#                          Give USER a SHA-512 crypt password in the private
#                          shadow (in place: the bind mount follows it).
#   harness_ssh DIR USER [COMMAND...]
#                          Run ssh USER@127.0.0.1 on DIR's port, without a
#                          terminal, keyboard-interactive only, host key
#                          not checked, no host ssh_config; prompts go to
#                          $HARNESS_ASKPASS (default /bin/false) through
#                          SSH_ASKPASS_REQUIRE=force; one round of
#                          keyboard-interactive (NumberOfPasswordPrompts=1)
#                          rather than ssh's three.  At most 30 s.
#                          Exit status is ssh's (255: refused or failed).
#   harness_typist TEXT    Print TEXT and a newline once a second for 30 s:
#                          a person who types TEXT whenever a terminal asks
#                          (a prompt flushes what was typed before it).
#   harness_alive DIR      True while any process of DIR's namespace lives.
#   harness_listening PORT True while a TCP socket listens on PORT.
#
# Files in DIR: etc/ (sshd_config, host key, pam.d/sshd, nsswitch.conf,
# passwd, group, shadow), home/, sshd.log, sshd.err (stderr before the
# log is open), port, pid, unshare.pid, mntns, enter.sh (what runs in the
# namespaces).

HARNESS_DIRS=

harness_port() {
	cat "$1/port"
}

harness_pid() {
	cat "$1/pid"
}

harness_log() {
	printf '%s\n' "$1/sshd.log"
}

# _harness_ns_pids DIR: the processes in DIR's mount namespace.
_harness_ns_pids() {
	[ -s "$1/mntns" ] || return 0
	# one find(1) rather than a readlink per process: -lname matches the
	# link's text, "mnt:[INODE]", as a pattern (so [ and ] escaped)
	_hns=$(sed 's/[][]/\\&/g' "$1/mntns")
	find /proc/[0-9]*/ns/mnt -maxdepth 0 -lname "$_hns" 2>/dev/null |
	    sed 's|^/proc/\([0-9]*\)/.*|\1|'
	return 0
}

# A mount namespace's inode number is reused as soon as the namespace is
# gone, so it names DIR's processes only while DIR's unshare still runs
# (and the namespace with it).  After harness_stop, the processes seen
# then are checked one by one instead.
harness_alive() {
	if [ -s "$1/unshare.pid" ] && kill -0 "$(cat "$1/unshare.pid")" \
	    2>/dev/null; then
		[ -n "$(_harness_ns_pids "$1")" ]
		return
	fi
	[ -s "$1/stopped.pids" ] || return 1
	for _hap in $(cat "$1/stopped.pids"); do
		kill -0 "$_hap" 2>/dev/null && return 0
	done
	return 1
}

_harness_users() {
	printf '%s\n' ${HARNESS_USERS:-mtlsalice:60001 mtlsbob:60002}
}

# _harness_etc DIR PAMSTACK_FILE: the files bound over /etc.
_harness_etc() {
	_hd=$1
	mkdir -p "$_hd/etc/pam.d" "$_hd/home" || return 1
	chmod 0755 "$_hd" "$_hd/etc" "$_hd/home"
	cp "$2" "$_hd/etc/pam.d/sshd" || return 1
	chmod 0644 "$_hd/etc/pam.d/sshd"
	if [ -n "${HARNESS_NSSWITCH:-}" ]; then
		cp "$HARNESS_NSSWITCH" "$_hd/etc/nsswitch.conf" || return 1
	else
		cat >"$_hd/etc/nsswitch.conf" <<-'EOF'
		# test nsswitch.conf: local files only
		passwd:         files
		group:          files
		shadow:         files
		gshadow:        files
		hosts:          files
		networks:       files
		protocols:      files
		services:       files
		EOF
	fi
	chmod 0644 "$_hd/etc/nsswitch.conf"
	cp /etc/passwd "$_hd/etc/passwd" && cp /etc/group "$_hd/etc/group" ||
	    return 1
	: >"$_hd/etc/shadow"
	chmod 0600 "$_hd/etc/shadow"
	# days since the epoch: a last change of 0 would mean "must change"
	_hday=$(($(date +%s) / 86400))
	for _hu in $(_harness_users); do
		_hn=${_hu%%:*}
		_hi=${_hu#*:}
		if grep -q "^$_hn:" /etc/passwd || grep -q "^$_hn:" /etc/group
		then
			echo "harness: user or group $_hn exists on the host" >&2
			return 1
		fi
		echo "$_hn:x:$_hi:$_hi:mtls test user:/home/$_hn:/bin/sh" \
		    >>"$_hd/etc/passwd"
		echo "$_hn:x:$_hi:" >>"$_hd/etc/group"
		echo "$_hn:!:$_hday:0:99999:7:::" >>"$_hd/etc/shadow"
		mkdir -p "$_hd/home/$_hn"
		chown "$_hi:$_hi" "$_hd/home/$_hn"
		chmod 0755 "$_hd/home/$_hn"
	done
	return 0
}

_harness_sshd_config() {
	_hd=$1
	rm -f "$_hd/etc/ssh_host_ed25519_key" "$_hd/etc/ssh_host_ed25519_key.pub"
	ssh-keygen -q -t ed25519 -N '' -C mtls-harness \
	    -f "$_hd/etc/ssh_host_ed25519_key" || return 1
	cat >"$_hd/etc/sshd_config" <<-EOF
	# generated by tests/sshd-harness.sh; -o options override these
	ListenAddress 127.0.0.1
	HostKey $_hd/etc/ssh_host_ed25519_key
	PidFile $_hd/sshd.pid
	UsePAM yes
	KbdInteractiveAuthentication yes
	PasswordAuthentication no
	PubkeyAuthentication no
	HostbasedAuthentication no
	GSSAPIAuthentication no
	AuthenticationMethods keyboard-interactive
	AuthorizedKeysFile none
	PermitRootLogin no
	PermitEmptyPasswords no
	LogLevel VERBOSE
	LoginGraceTime 30
	MaxAuthTries 6
	StrictModes yes
	UseDNS no
	PrintMotd no
	PrintLastLog no
	X11Forwarding no
	AllowTcpForwarding no
	AllowAgentForwarding no
	PermitTunnel no
	PermitUserEnvironment no
	EOF
}

# The script run inside the new mount namespace: bind mounts, then exec
# sshd (same process: its pid is the one harness_start recorded).
_harness_enter_script() {
	cat <<-'EOF'
	#!/bin/sh
	# run by tests/sshd-harness.sh inside a private mount namespace
	set -eu
	D=$1
	shift
	for f in pam.d/sshd nsswitch.conf passwd group shadow; do
		mount --bind "$D/etc/$f" "/etc/$f"
	done
	mount --bind "$D/home" /home
	journal=
	if [ -d /run/systemd/journal ]; then
		mkdir -p "$D/journal"
		mount --bind /run/systemd/journal "$D/journal"
		journal=1
	fi
	mount -t tmpfs -o mode=0755,nosuid,nodev mtls-harness-run /run
	mkdir -m 0755 /run/sshd
	: >/run/utmp
	if [ -n "$journal" ]; then
		mkdir -p /run/systemd/journal
		mount --bind "$D/journal" /run/systemd/journal
		umount "$D/journal"
	fi
	mount -t tmpfs -o mode=0755,nosuid,nodev,noexec mtls-harness-log /var/log
	: >/var/log/wtmp
	: >/var/log/btmp
	: >/var/log/lastlog
	chmod 0600 /var/log/btmp
	readlink /proc/self/ns/mnt >"$D/mntns"
	exec /usr/sbin/sshd -D -e -f "$D/etc/sshd_config" -E "$D/sshd.log" "$@"
	EOF
}

# harness_listening PORT: a TCP socket listens on PORT (any address), from
# the kernel's tables (state 0A is LISTEN), without needing ss(8).
harness_listening() {
	awk -v p="$(printf '%04X' "$1")" '
	$4 == "0A" && substr($2, index($2, ":") + 1) == p { found = 1 }
	END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# _harness_free_port: a port in 20000-49999 nobody listens on now.
_harness_free_port() {
	_htries=0
	while [ $_htries -lt 50 ]; do
		_htries=$((_htries + 1))
		_hr=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		_hport=$((20000 + _hr % 30000))
		if ! harness_listening "$_hport"; then
			echo $_hport
			return 0
		fi
	done
	return 1
}

harness_start() {
	if [ $# -lt 2 ]; then
		echo "usage: harness_start DIR PAMSTACK_FILE [KEYWORD=VALUE...]" >&2
		return 2
	fi
	_hd=$1
	_hpam=$2
	shift 2
	# each further argument becomes "-o ARG"
	_hn=$#
	while [ "$_hn" -gt 0 ]; do
		set -- "$@" -o "$1"
		shift
		_hn=$((_hn - 1))
	done
	if [ "$(id -u)" -ne 0 ]; then
		echo "harness: needs root (mount namespace, bind mounts, sshd)" >&2
		return 1
	fi
	if [ ! -x /usr/sbin/sshd ] || [ ! -e /etc/pam.d/sshd ]; then
		echo "harness: /usr/sbin/sshd or /etc/pam.d/sshd missing" \
		    "(apt-get install openssh-server)" >&2
		return 1
	fi
	case $_hd in
	/*) ;;
	*) _hd=$(pwd)/$_hd ;;
	esac
	mkdir -p "$_hd" || return 1
	HARNESS_DIRS="$HARNESS_DIRS $_hd"
	_harness_etc "$_hd" "$_hpam" || return 1
	_harness_sshd_config "$_hd" || return 1
	_harness_enter_script >"$_hd/enter.sh"
	chmod 0755 "$_hd/enter.sh"

	# A port free when picked may be taken before sshd binds it: then
	# sshd exits at once ("Address already in use") and another is tried.
	_hattempt=0
	while [ $_hattempt -lt 5 ]; do
		_hattempt=$((_hattempt + 1))
		_hport=$(_harness_free_port) || {
			echo "harness: no free port found" >&2
			return 1
		}
		rm -f "$_hd/sshd.pid" "$_hd/mntns" "$_hd/pid" "$_hd/port" \
		    "$_hd/unshare.pid"
		setsid unshare --mount --propagation private --pid \
		    --kill-child --mount-proc \
		    "$_hd/enter.sh" "$_hd" -o "Port=$_hport" "$@" \
		    </dev/null >>"$_hd/sshd.err" 2>&1 &
		_hpid=$!
		echo "$_hpid" >"$_hd/unshare.pid"
		# sshd writes its PidFile ("1": it is the namespace's init)
		# once it listens; its pid here is unshare's child.
		_hwait=0
		while [ $_hwait -lt 100 ]; do
			_hsp=$(cat "/proc/$_hpid/task/$_hpid/children" \
			    2>/dev/null | tr -d ' ')
			if [ -s "$_hd/sshd.pid" ] && [ -n "$_hsp" ]; then
				echo "$_hsp" >"$_hd/pid"
				echo "$_hport" >"$_hd/port"
				return 0
			fi
			kill -0 "$_hpid" 2>/dev/null || break
			sleep 0.1
			_hwait=$((_hwait + 1))
		done
		if kill -0 "$_hpid" 2>/dev/null; then
			echo "harness: sshd did not listen within 10 s" >&2
			harness_stop "$_hd"
			break
		fi
		wait "$_hpid" 2>/dev/null
		_hstatus=$?
		# A taken port is the expected reason; anything else is said
		# in sshd.err and tried again too, since a start under heavy
		# load (make -j distcheck) has been seen to end early without
		# a word from sshd.
		grep -qs "Address already in use" "$_hd/sshd.log" ||
		    echo "harness: attempt $_hattempt: unshare/sshd exited" \
		    "with status $_hstatus" >>"$_hd/sshd.err"
	done
	echo "harness: sshd did not start; $_hd/sshd.err:" >&2
	cat "$_hd/sshd.err" >&2 2>/dev/null
	echo "harness: $_hd/sshd.log:" >&2
	tail -n 20 "$_hd/sshd.log" >&2 2>/dev/null
	return 1
}

harness_stop() {
	_hd=$1
	[ -s "$_hd/unshare.pid" ] || return 0
	_hpid=$(cat "$_hd/unshare.pid")
	# the namespace's processes, listed while it surely still exists
	_hpids=
	kill -0 "$_hpid" 2>/dev/null && _hpids=$(_harness_ns_pids "$_hd")
	# sshd is the init of its PID namespace: when it dies the kernel
	# kills and reaps every other process in it (per-connection children,
	# users' sessions), and unshare, its parent, reaps sshd.  unshare
	# itself kills sshd when it dies (--kill-child).
	[ -s "$_hd/pid" ] && kill -TERM "$(cat "$_hd/pid")" 2>/dev/null
	_hwait=0
	while [ $_hwait -lt 50 ] && kill -0 "$_hpid" 2>/dev/null; do
		sleep 0.1
		_hwait=$((_hwait + 1))
	done
	kill -KILL "$_hpid" 2>/dev/null
	wait "$_hpid" 2>/dev/null
	# had any of them escaped (none should: sshd was their init), and
	# until they are reaped, which takes longer on a loaded machine
	_hwait=0
	while [ $_hwait -lt 100 ]; do
		_hleft=
		for _hp in $_hpids; do
			kill -0 "$_hp" 2>/dev/null && _hleft="$_hleft $_hp"
		done
		[ -z "$_hleft" ] && break
		# shellcheck disable=SC2086
		kill -KILL $_hleft 2>/dev/null
		sleep 0.1
		_hwait=$((_hwait + 1))
	done
	echo $_hpids >"$_hd/stopped.pids"
	rm -f "$_hd/pid" "$_hd/unshare.pid" "$_hd/mntns"
	return 0
}

harness_stop_all() {
	for _hsd in $HARNESS_DIRS; do
		harness_stop "$_hsd"
	done
}

harness_set_password() {
	_hhash=$(openssl passwd -6 -stdin <<-EOF
	$3
	EOF
	) || return 1
	awk -F: -v OFS=: -v u="$2" -v h="$_hhash" \
	    '$1 == u { $2 = h } { print }' "$1/etc/shadow" >"$1/etc/shadow.new" &&
	    cat "$1/etc/shadow.new" >"$1/etc/shadow" &&
	    rm -f "$1/etc/shadow.new"
}

harness_ssh() {
	_hd=$1
	_hu=$2
	shift 2
	env -u DISPLAY SSH_ASKPASS="${HARNESS_ASKPASS:-/bin/false}" \
	    SSH_ASKPASS_REQUIRE=force \
	    timeout 30 setsid -w ssh -F /dev/null -p "$(harness_port "$_hd")" \
	    -o BatchMode=no -o StrictHostKeyChecking=no \
	    -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null \
	    -o PreferredAuthentications=keyboard-interactive \
	    -o NumberOfPasswordPrompts=1 -o ConnectTimeout=10 \
	    -o LogLevel=ERROR \
	    "$_hu@127.0.0.1" "$@" </dev/null
}

harness_typist() {
	_hi=0
	while [ $_hi -lt 30 ]; do
		sleep 1
		printf '%s\n' "$1"
		_hi=$((_hi + 1))
	done
}
