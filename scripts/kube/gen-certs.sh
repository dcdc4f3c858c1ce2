#!/usr/bin/env bash
# Generates the PKI for the local envtest-style kube-apiserver with openssl.
#
#   scripts/kube/gen-certs.sh <cert-dir>
#
# Writes into <cert-dir>:
#   ca.crt / ca.key            self-signed CA (also the --client-ca-file)
#   apiserver.crt / .key       serving cert for 127.0.0.1, ::1, localhost,
#                              10.0.0.1 and kubernetes.default.svc names
#   admin.crt / admin.key      client cert CN=chat4all-admin, O=system:masters
#   sa.key / sa.pub            RSA key pair for service account token signing
#
# Idempotent: keeps an existing set while every cert is valid for at least
# one more day; otherwise regenerates all of it.
set -euo pipefail

dir="${1:?usage: gen-certs.sh <cert-dir>}"
days="${CHAT4ALL_KUBE_CERT_DAYS:-365}"
mkdir -p "$dir"
chmod 700 "$dir"

all_valid() {
  local f
  for f in ca.crt ca.key apiserver.crt apiserver.key admin.crt admin.key sa.key sa.pub; do
    [[ -s "$dir/$f" ]] || return 1
  done
  for f in ca.crt apiserver.crt admin.crt; do
    openssl x509 -noout -checkend 86400 -in "$dir/$f" >/dev/null 2>&1 || return 1
  done
}

if all_valid; then
  exit 0
fi

tmp="$(mktemp -d "$dir/.gen.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# EC P-256 keys for the CA, serving and client certs (fast to generate);
# RSA for the service-account signer (RS256 is what every client expects).
ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ec_key "$tmp/ca.key"
openssl req -x509 -new -key "$tmp/ca.key" -sha256 -days "$days" \
  -subj "/CN=chat4all-kube-ca" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
  -out "$tmp/ca.crt" 2>/dev/null

sign() { # sign <name> <subject> <extfile>
  local name="$1" subj="$2" ext="$3"
  ec_key "$tmp/$name.key"
  openssl req -new -key "$tmp/$name.key" -subj "$subj" -out "$tmp/$name.csr" 2>/dev/null
  openssl x509 -req -in "$tmp/$name.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" \
    -CAcreateserial -sha256 -days "$days" -extfile "$ext" -out "$tmp/$name.crt" 2>/dev/null
  rm -f "$tmp/$name.csr"
}

cat >"$tmp/apiserver.ext" <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
sign apiserver "/CN=kube-apiserver" "$tmp/apiserver.ext"

cat >"$tmp/admin.ext" <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth
EOF
sign admin "/O=system:masters/CN=chat4all-admin" "$tmp/admin.ext"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/sa.key" 2>/dev/null
openssl pkey -in "$tmp/sa.key" -pubout -out "$tmp/sa.pub" 2>/dev/null

chmod 600 "$tmp"/*.key
for f in ca.crt ca.key apiserver.crt apiserver.key admin.crt admin.key sa.key sa.pub; do
  mv -f "$tmp/$f" "$dir/$f"
done
