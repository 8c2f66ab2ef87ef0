#!/bin/sh
# Makes the throwaway certificates the TLS tests use, with the openssl
# command-line tool, into directory $1 (which must exist). $2 names the
# openssl program (default: openssl). ECDSA P-256 keys, valid for 30 days:
#
#   ca.crt, ca.key            the test CA
#   server.crt, server.key    CN=localhost, DNS:localhost, signed by the CA
#   server.pem.key            server.key encrypted in the traditional PEM form
#                             (password "test-password")
#   server.p8.key             server.key encrypted as PKCS#8 with AES (which
#                             mbed TLS 2.28 cannot read)
#   client.crt, client.key    CN=alice, for client authentication, signed by the CA
#   other-ca.crt              a second CA that signed nothing here
set -eu
dir=$1
openssl=${2:-openssl}
cd "$dir"
umask 077

ca() { # ca NAME CN
    "$openssl" ecparam -name prime256v1 -genkey -noout -out "$1.key"
    "$openssl" req -x509 -new -key "$1.key" -subj "/CN=$2" -days 30 -out "$1.crt" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}

leaf() { # leaf NAME CN EXTENSIONS
    "$openssl" ecparam -name prime256v1 -genkey -noout -out "$1.key"
    "$openssl" req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
    printf '%s\n' "$3" >"$1.ext"
    "$openssl" x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -set_serial "$4" -days 30 \
        -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}

ca ca "ferry test CA"
ca other-ca "ferry other CA"
rm -f other-ca.key
leaf server localhost "subjectAltName=DNS:localhost
extendedKeyUsage=serverAuth" 1001
leaf client alice "extendedKeyUsage=clientAuth" 1002
"$openssl" ec -in server.key -aes256 -passout pass:test-password -out server.pem.key 2>/dev/null
"$openssl" pkcs8 -topk8 -in server.key -v2 aes256 -passout pass:test-password -out server.p8.key
chmod 644 ca.crt other-ca.crt server.crt client.crt
