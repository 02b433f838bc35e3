#!/bin/sh
# Prints the example /etc/tlsrpt/tlsrpt.conf of the Debian package: every
# parameter of `tlsrpt config --defaults` commented out with its meaning,
# after the few settings the package's systemd units rely on.
# usage: tlsrpt-conf-example.sh PATH/TO/tlsrpt
set -eu
tlsrpt=$1
cat <<'HEAD'
# /etc/tlsrpt/tlsrpt.conf: settings of tlsrpt(1); see tlsrpt.conf(5).
# "name = value"; a command-line option overrides its parameter.
# Print what is in effect with: tlsrpt config -n

# Set by the Debian package (the systemd units rely on them):
# the collector's socket, inside Postfix's chroot (/var/spool/postfix);
# in main.cf: smtp_tlsrpt_enable = yes
#             smtp_tlsrpt_socket_name = tlsrpt/tlsrpt.sock
# (Postfix 3.10; the name is relative to the queue directory).
collectd_socket = /var/spool/postfix/tlsrpt/tlsrpt.sock
collectd_socket_mode = 0660
# daemons started as root by hand become this user
daemon_user = _tlsrpt

# Every parameter, with its default:
HEAD
TLSRPT_CONFIG=/dev/null "$tlsrpt" config --defaults --verbose |
	sed -e 's/ (\([a-z]*\); from default)$/ (\1)/' \
	    -e '/^#/!s/^/#/' \
	    -e 's/^#\([a-z0-9_]* =\)$/#\1/' |
	awk '/^# / && NR > 1 { print "" } { print }'
