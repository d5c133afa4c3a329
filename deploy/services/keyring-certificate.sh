#!/usr/bin/env bash
# Makes the certificate that encrypts the Data Protection key ring: a self-signed RSA 3072 certificate and its private
# key in one PEM file (what DataProtection__CertificatePath takes), readable by its owner only. Never overwrites: losing
# the certificate in use makes every stored secret unreadable. deploy/run.sh calls it on the first start; for compose
# and Kubernetes run it yourself (docs/security.md, "The key ring's certificate").
#   keyring-certificate.sh PATH
set -euo pipefail
path="${1:?usage: keyring-certificate.sh PATH}"
[ ! -e "$path" ] || { echo "keyring-certificate.sh: $path exists; not overwriting it" >&2; exit 1; }
command -v openssl >/dev/null || { echo "keyring-certificate.sh: openssl is needed (Debian: apt-get install openssl)" >&2; exit 1; }
mkdir -p "$(dirname "$path")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(umask 077
  openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj "/CN=Webhooks key ring" \
    -keyout "$work/key.pem" -out "$work/certificate.pem" 2>/dev/null
  cat "$work/certificate.pem" "$work/key.pem" > "$path")
echo "$path"
