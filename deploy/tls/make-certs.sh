#!/usr/bin/env bash
# Makes a private CA and a server certificate for the control planes, once: run again, it keeps
# what is there (so your own certificate and key, put there first, are used instead). docker-compose runs it on first start (the `certs` service); clients trust ca.pem.
#   make-certs.sh DIR HOSTNAME...
set -euo pipefail
dir=$1
shift
# A certificate and key already there (made here before, or your own) are kept.
if [[ -s "$dir/server.pem" && -s "$dir/server-key.pem" ]]; then
  echo "make-certs: $dir already has a server certificate; keeping it"
  exit 0
fi
mkdir -p "$dir"
cd "$dir"
umask 077
san=$(printf 'DNS:%s,' "$@" localhost)
san="${san}IP:127.0.0.1"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
  -subj "/CN=Taskplane local CA" -keyout ca-key.pem -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=${1:-localhost}" -keyout server-key.pem -out server.csr 2>/dev/null
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 825 \
  -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san") -out server.pem 2>/dev/null
# The CA's key signs nothing more: it is not left in a volume every container mounts.
rm -f server.csr ca.srl ca-key.pem
chmod 644 ca.pem server.pem
echo "make-certs: wrote $dir/ca.pem and a server certificate for ${san//,/, }"
