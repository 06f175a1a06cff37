#!/usr/bin/env bash
# make install and make uninstall into a DESTDIR: every file an operator needs
# to run allianced under systemd (binaries, man pages, allianced@.service,
# sysusers.d, tmpfiles.d, bash completion, docs), with sane modes; the unit
# verified by systemd-analyze, the completion completing, the man pages
# rendering without warnings; and uninstall leaving nothing behind.
. "$(dirname "$0")/../lib.sh"

D=$T/root
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac

# make in the repository, installing what tests/run's build made: -o keeps
# make from rebuilding the binaries (or re-making config.mk) whatever their
# timestamps, so this never races the other tests over $BUILD. The parent
# make's flags (jobserver, SANITIZE=...) stay out of it.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" --no-print-directory \
		BUILD="$BUILD" -o "$BUILD/allianced" -o "$BUILD/alliancectl" -o "$BUILD/config.mk" "$@"
}

if [ ! -x "$B/allianced" ] || [ ! -x "$B/alliancectl" ]; then
	not_ok "the binaries are built in $BUILD (make BUILD=$BUILD first)"
	finish
fi

# ---------------------------------------------------------------- install
check "make install DESTDIR=... PREFIX=/usr" mk install DESTDIR="$D" PREFIX=/usr
cp "$T/.out" "$T/install.out"
if grep -qE '^  (CC|LINK|AR|PROTOC) ' "$T/install.out"; then
	not_ok "make install built nothing (the binaries exist already)"
	sed 's/^/#   /' "$T/install.out"
else
	ok "make install built nothing (the binaries exist already)"
fi

docs=(README.md)
for f in "$ROOT"/docs/*.md; do docs+=("docs/${f##*/}"); done
# path mode, one a line: exactly what install must put there.
{
	echo "usr/bin/allianced 755"
	echo "usr/bin/alliancectl 755"
	echo "usr/share/man/man1/alliancectl.1 644"
	echo "usr/share/man/man8/allianced.8 644"
	echo "usr/lib/systemd/system/allianced@.service 644"
	echo "usr/lib/sysusers.d/allianced.conf 644"
	echo "usr/lib/tmpfiles.d/allianced.conf 644"
	echo "usr/share/bash-completion/completions/allianced 644"
	echo "usr/share/bash-completion/completions/alliancectl 644"
	for f in "${docs[@]}"; do echo "usr/share/doc/alliance/${f##*/} 644"; done
} | sort >"$T/want"
(cd "$D" && find . -type f -printf '%P %m\n') | sort >"$T/got"
if [ -s "$T/got" ] && cmp -s "$T/want" "$T/got"; then
	ok "install put exactly the expected files there, with modes 755 (binaries) and 644"
else
	not_ok "installed files and modes (- expected, + installed):"
	diff "$T/want" "$T/got" | sed 's/^/#   /'
fi
check "the installed allianced is the built one" cmp "$B/allianced" "$D/usr/bin/allianced"
check "the installed alliancectl is the built one" cmp "$B/alliancectl" "$D/usr/bin/alliancectl"
check "the installed allianced runs" "$D/usr/bin/allianced" --version
# shellcheck disable=SC2016 # expanded by the inner bash
check "README.md and docs/*.md are installed unchanged" bash -c '
	root=$1 dir=$2; shift 2
	for f; do cmp "$root/$f" "$dir/${f##*/}" || exit 1; done' _ \
	"$ROOT" "$D/usr/share/doc/alliance" "${docs[@]}"

# ------------------------------------------------------------------- unit
U=$D/usr/lib/systemd/system/allianced@.service
check "the unit's ExecStart runs the installed binary on /var/lib/allianced/%i" \
	grep -qxF 'ExecStart=/usr/bin/allianced run %S/allianced/%i' "$U"
check "no @PLACEHOLDER@ is left in the unit" bash -c "! grep -n '@[A-Z]*@' '$U'"
missing=()
# shellcheck disable=SC2016 # $MAINPID is literal in the unit
for line in 'Type=notify' 'ExecReload=/bin/kill -HUP $MAINPID' 'User=allianced' \
	'Group=allianced' 'StateDirectory=allianced/%i' 'StateDirectoryMode=0700' \
	'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
	'PrivateDevices=yes' 'ProtectKernelTunables=yes' 'ProtectKernelModules=yes' \
	'ProtectControlGroups=yes' 'RestrictNamespaces=yes' 'LockPersonality=yes' \
	'MemoryDenyWriteExecute=yes' 'RestrictRealtime=yes' 'SystemCallArchitectures=native' \
	'SystemCallFilter=@system-service' 'CapabilityBoundingSet=' 'UMask=0077' \
	'Restart=on-failure' 'WantedBy=multi-user.target'; do
	grep -qxF -- "$line" "$U" || missing+=("$line")
done
case $(grep '^RestrictAddressFamilies=' "$U") in
*AF_UNIX*AF_INET\ *AF_INET6*) ;;
*) missing+=("RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 ...") ;;
esac
if [ ${#missing[@]} -eq 0 ]; then ok "the unit has Type=notify, the reload, the user and the hardening"
else not_ok "the unit lacks: ${missing[*]}"; fi
contains "the unit documents itself" "$(grep '^Documentation=' "$U")" "man:allianced(8)"
check "the unit's file: documentation is installed" \
	test -f "$D$(sed -n 's/^Documentation=file:\([^ ]*\).*/\1/p' "$U" | head -n 1)"
check "sysusers.d: system user allianced, home /var/lib/allianced, no login shell" \
	grep -qE '^u +allianced +- +"[^"]*" +/var/lib/allianced +/usr/sbin/nologin$' \
	"$D/usr/lib/sysusers.d/allianced.conf"
check "tmpfiles.d: /var/lib/allianced owned by allianced" \
	grep -qE '^d +/var/lib/allianced +07[05]0 +allianced +allianced' \
	"$D/usr/lib/tmpfiles.d/allianced.conf"

# The entries as systemd applies them, into a scratch root (not this machine).
S=$T/sysroot
mkdir -p "$S/etc"
if command -v systemd-sysusers >/dev/null; then
	check "systemd-sysusers applies the sysusers.d entry" \
		systemd-sysusers --root="$S" "$D/usr/lib/sysusers.d/allianced.conf"
	check "...making user allianced with home /var/lib/allianced and no login shell" \
		grep -q '^allianced:x:[0-9]*:[0-9]*:[^:]*:/var/lib/allianced:/usr/sbin/nologin$' "$S/etc/passwd"
else
	ok "# SKIP systemd-sysusers not installed"
fi
if command -v systemd-tmpfiles >/dev/null && [ "$(id -u)" = 0 ] && [ -s "$S/etc/passwd" ]; then
	# (as root only: it gives the directory to allianced)
	check "systemd-tmpfiles applies the tmpfiles.d entry" \
		systemd-tmpfiles --root="$S" --create "$D/usr/lib/tmpfiles.d/allianced.conf"
	check "...making /var/lib/allianced a directory of mode 750" \
		test "$(stat -c %a "$S/var/lib/allianced")" = 750
else
	ok "# SKIP systemd-tmpfiles not installed, or not root"
fi

if command -v systemd-analyze >/dev/null; then
	# verify needs an instance, and checks that ExecStart's binary exists:
	# a copy named allianced@test.service whose ExecStart points into DESTDIR.
	# (--root=DESTDIR does not serve: the tree has no sysinit.target and no
	# /bin/kill.) MANPATH makes its man: check find the installed pages.
	mkdir -p "$T/verify"
	sed "s|^ExecStart=/usr/bin/|ExecStart=$D/usr/bin/|" "$U" >"$T/verify/allianced@test.service"
	man_opt=()
	command -v man >/dev/null || man_opt=(--man=no)
	MANPATH=$D/usr/share/man systemd-analyze verify "${man_opt[@]}" \
		"$T/verify/allianced@test.service" >"$T/verify.out" 2>&1
	rc=$?
	# User allianced need not exist here (sysusers makes it on the target
	# machine): a warning about resolving it is not a fault of the unit.
	grep -viE "(user|group) .?allianced.?.*(not found|unknown|does not exist|failed to resolve|no such)" \
		"$T/verify.out" >"$T/verify.err"
	if [ "$rc" -eq 0 ] && [ ! -s "$T/verify.err" ]; then
		ok "systemd-analyze verify accepts allianced@test.service"
	else
		not_ok "systemd-analyze verify (exit $rc):"
		sed 's/^/#   /' "$T/verify.out"
	fi
	if systemd-analyze security --offline=yes --no-pager "$T/verify/allianced@test.service" \
		>"$T/security.out" 2>&1; then
		echo "# systemd-analyze security: $(grep -i 'overall exposure' "$T/security.out" | sed 's/^→ *//')"
	else
		echo "# systemd-analyze security --offline=yes did not run:"
		sed 's/^/#   /' "$T/security.out" | head -n 5
	fi
else
	ok "# SKIP systemd-analyze not installed"
fi

# ------------------------------------------------------------- completion
C=$D/usr/share/bash-completion/completions
check "bash -n accepts the allianced completion" bash -n "$C/allianced"
check "bash -n accepts the alliancectl completion" bash -n "$C/alliancectl"
mkdir -p "$T/cw/homeA" "$T/cw/homeB" && : >"$T/cw/rd.charter"
# complete WORD...: source the completions in a clean bash, set COMP_WORDS to
# the words (the last is the one being completed) and print COMPREPLY.
complete_words() {
	(cd "$T/cw" && bash --norc --noprofile -c '
		. "$1"; . "$2"; shift 2
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
		fn=$(complete -p "$1" | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
		"$fn"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$C/allianced" "$C/alliancectl" "$@")
}
completes() { # completes "what" WANT WORD...: WANT is among the completions
	local what=$1 want=$2 got; shift 2
	got=$(complete_words "$@")
	if grep -qxF -- "$want" <<<"$got"; then ok "$what"; else not_ok "$what: '$want' not in:"; sed 's/^/#   /' <<<"$got"; fi
}
completes "alliancectl am<TAB> gives amend" amend alliancectl am
check "...and only amend" test "$(complete_words alliancectl am)" = amend
completes "alliancectl amend --<TAB> includes --endpoint" --endpoint alliancectl amend --
completes "alliancectl amend --<TAB> includes --replace" --replace alliancectl amend --
completes "alliancectl status --<TAB> includes --check" --check alliancectl status --
completes "alliancectl <TAB> includes metrics" metrics alliancectl ''
completes "alliancectl charter s<TAB> gives sign" sign alliancectl charter s
completes "alliancectl -H DIR charter s<TAB> skips -H's argument" show alliancectl -H homeA charter s
completes "alliancectl -H <TAB> gives directories" homeA alliancectl -H home
completes "alliancectl --home=<TAB> gives directories" homeB alliancectl --home = home
check "...and never files" bash -c "! grep -qx rd.charter <<<\"\$1\"" _ "$(complete_words alliancectl -H '')"
completes "alliancectl charter sign <TAB> gives files" rd.charter alliancectl charter sign rd
completes "alliancectl commitments --state <TAB> gives states" overdue alliancectl commitments --state o
completes "alliancectl sc<TAB> gives scorecard" scorecard alliancectl sc
completes "alliancectl scorecard --<TAB> includes --as-of" --as-of alliancectl scorecard --
completes "alliancectl commit ... --<TAB> includes --value" --value alliancectl commit x --to b --due +1d --
completes "alliancectl commit ... --k<TAB> gives --key" --key alliancectl commit x --to b --due +1d --k
completes "alliancectl accept ID --<TAB> includes --key" --key alliancectl accept acme/1 --
completes "alliancectl po<TAB> gives portfolio" portfolio alliancectl po
completes "alliancectl portfolio --<TAB> includes --offline" --offline alliancectl portfolio --
completes "alliancectl report --<TAB> includes --portfolio" --portfolio alliancectl report --
completes "allianced <TAB> includes check" check allianced ''
completes "allianced init --<TAB> includes --advertise" --advertise allianced init x --
completes "allianced run <TAB> gives directories" homeA allianced run home
completes "allianced -H <TAB> gives directories" homeB allianced -H home

# ---------------------------------------------------------------- man pages
for page in man1/alliancectl.1 man8/allianced.8; do
	P=$D/usr/share/man/$page
	if command -v man >/dev/null; then
		w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$P" 2>&1 >/dev/null)
		if [ -z "$w" ]; then ok "man -l renders $page without warnings"
		else not_ok "man --warnings -l $page:"; sed 's/^/#   /' <<<"$w"; fi
		LC_ALL=C.UTF-8 MANWIDTH=80 man -P cat -l "$P" >"$T/page" 2>/dev/null
		check "$page renders to text" test -s "$T/page"
		check "$page has no doubled blank lines" bash -c "cat -s '$T/page' | cmp -s - '$T/page'"
		wide=$(LC_ALL=C.UTF-8 awk 'length > 80' "$T/page")
		if [ -z "$wide" ]; then ok "$page has no line wider than 80 columns"
		else not_ok "$page has lines wider than 80 columns:"; sed 's/^/#   /' <<<"$wide"; fi
	else
		ok "# SKIP man not installed"
	fi
	if command -v groff >/dev/null; then
		w=$(groff -man -Tutf8 -ww -z "$P" 2>&1)
		if [ -z "$w" ]; then ok "groff -ww finds nothing to warn about in $page"
		else not_ok "groff -man -ww $page:"; sed 's/^/#   /' <<<"$w"; fi
	fi
done
if command -v man >/dev/null; then
	ctl=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -P cat -l "$D/usr/share/man/man1/alliancectl.1" 2>/dev/null)
	d8=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -P cat -l "$D/usr/share/man/man8/allianced.8" 2>/dev/null)
	for s in "amend --endpoint ENDPOINT" "amend --replace CARD" "status --check" "metrics" \
		"ALLIANCE_TIMEOUT" "FILES" "SEE ALSO"; do
		contains "alliancectl(1) covers $s" "$ctl" "$s"
	done
	for s in "--advertise ENDPOINT" "check [HOME]" "control_group" "SIGHUP" "JOURNAL_STREAM" \
		"NOTIFY_SOCKET" "allianced@.service" "/var/lib/allianced/NAME" "SEE ALSO"; do
		contains "allianced(8) covers $s" "$d8" "$s"
	done
fi

# -------------------------------------------------------------- uninstall
check "make uninstall DESTDIR=... PREFIX=/usr" mk uninstall DESTDIR="$D" PREFIX=/usr
left=$(cd "$D" && find . ! -type d)
if [ -z "$left" ]; then ok "uninstall left no files behind"
else not_ok "uninstall left:"; sed 's/^/#   /' <<<"$left"; fi
check "uninstall removed the doc directory it made" test ! -e "$D/usr/share/doc/alliance"

# Debian's layout: the unit in /lib/systemd/system.
check "make install SYSTEMDUNITDIR=/lib/systemd/system" \
	mk install DESTDIR="$T/deb" PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system
check "...puts the unit there" test -f "$T/deb/lib/systemd/system/allianced@.service"
check "...and make uninstall with the same SYSTEMDUNITDIR" \
	mk uninstall DESTDIR="$T/deb" PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system
check "...leaves no files behind" test -z "$(cd "$T/deb" && find . ! -type d)"

finish
