#!/bin/sh
# debs-install.sh DEBDIR - install the Debian packages built by scripts/debs
# into a throwaway root and use them as an administrator would (see
# tests/debs-inner.sh), without changing this machine: the root is an
# overlay of / whose changes go to a tmpfs, in a private mount namespace,
# entered with chroot; its /run and /tmp are fresh, and the build tree is
# hidden under an empty tmpfs so that nothing can come from it.  Needs
# root.  Exit status: 0 when every check passed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
debs=$(cd "${1:?usage: debs-install.sh DEBDIR}" && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "debs-install.sh: needs root" >&2
	exit 1
fi
T=$(mktemp -d /tmp/mtls-debroot.XXXXXX)
trap 'rm -rf "$T"' EXIT
unshare -m --propagation private sh -eu -c '
T=$1 top=$2 debs=$3
mount -t tmpfs -o mode=0755 tmpfs "$T"
mkdir "$T/upper" "$T/work" "$T/root" "$T/t"
cp "$debs"/*.deb "$top/tests/debs-inner.sh" "$top/tests/sshd-harness.sh" "$T/t/"
R=$T/root
mount -t overlay overlay \
    -o "lowerdir=/,upperdir=$T/upper,workdir=$T/work" "$R"
mount --rbind /dev "$R/dev"
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys" 2>/dev/null || :
mount -t tmpfs -o mode=0755 tmpfs "$R/run"
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
[ -d "$R$top" ] && mount -t tmpfs -o mode=0755 tmpfs "$R$top"
mkdir "$R/tmp/t"
cp "$T"/t/* "$R/tmp/t/"
exec chroot "$R" /bin/sh /tmp/t/debs-inner.sh /tmp/t
' sh "$T" "$top" "$debs"
