#!/bin/sh
# Build-time set-up shared by the production image (images/workspace/Dockerfile) and the test
# image (images/workspace-test/Dockerfile), so that both behave the same at run time.
# Usage: setup-image.sh [USER] [UID]   (defaults: remotegpu 1000)
set -eu

user=${1:-remotegpu}
uid=${2:-1000}

# Base images may already own the uid (ubuntu:24.04 ships "ubuntu" as 1000).
existing=$(getent passwd "$uid" | cut -d: -f1 || true)
if [ -n "$existing" ] && [ "$existing" != "$user" ]; then
  userdel -r "$existing" 2>/dev/null || true # warns (and may fail) about a missing mail spool
  if getent passwd "$existing" >/dev/null; then userdel "$existing"; fi
fi
existing_group=$(getent group "$uid" | cut -d: -f1 || true)
if [ -n "$existing_group" ] && [ "$existing_group" != "$user" ]; then
  groupdel "$existing_group"
fi
getent group "$user" >/dev/null || groupadd -g "$uid" "$user"
getent passwd "$user" >/dev/null ||
  useradd -m -u "$uid" -g "$uid" -d "/home/$user" -s /bin/bash "$user"
# No password until the entrypoint sets one; "*" (not "!") keeps key-based login possible.
usermod -p '*' "$user"

install -d -o "$uid" -g "$uid" -m 755 /workspace
install -d -m 755 /run/sshd /var/lib/remotegpu
rm -f /var/lib/remotegpu/provisioned

# Host keys are generated per container by the entrypoint, never shipped in an image.
rm -f /etc/ssh/ssh_host_*
# The entrypoint writes the complete sshd_config at start.
rm -f /etc/ssh/sshd_config.d/*.conf 2>/dev/null || true

# Containers lack CAP_AUDIT_CONTROL: a required pam_loginuid would end every SSH session.
if [ -f /etc/pam.d/sshd ]; then
  sed -i -E 's/^(session[[:space:]]+)required([[:space:]]+pam_loginuid\.so)/\1optional\2/' /etc/pam.d/sshd
fi
# No "last login" or mail noise on connect (PrintMotd is off in sshd_config).
if [ -f /etc/pam.d/sshd ]; then
  sed -i -E '/pam_(motd|mail)\.so/s/^/# /' /etc/pam.d/sshd
fi
