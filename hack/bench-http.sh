#!/usr/bin/env bash
# hack/bench-http.sh: the provisioning server against nginx, on loopback, in the same
# run. Both serve the same 100-handset file (rendered by hack/benchserver), the server
# through provserver and the production http.Server settings, nginx as a static file
# with sendfile. wrk loads each with 64 connections; the table gives requests per
# second, p99 latency and the ratio server/nginx (target: at least 0.8).
#
# Installs wrk and nginx-light with apt-get when missing (as root, or through sudo).
# Nothing else on the machine is touched: nginx runs in the foreground from a
# temporary prefix with its own configuration, and everything started here is
# stopped on exit.
#
# Environment:
#   BENCH_HTTP_DURATION  each measured wrk run (default 10s)
#   BENCH_HTTP_WARMUP    the warm-up run of each server (default 3s)
#   BENCH_HTTP_ROUNDS    measured rounds, server then nginx in each (default 2)
#   BENCH_HTTP_PROFILE   1: afterwards, a CPU profile of the server under the same load
#                        (go tool pprof -top)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

duration=${BENCH_HTTP_DURATION:-10s}
warmup=${BENCH_HTTP_WARMUP:-3s}
rounds=${BENCH_HTTP_ROUNDS:-2}
threads=2
conns=64

# --- tools --------------------------------------------------------------------------
nginx_bin() { command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true; }
missing=()
command -v wrk >/dev/null || missing+=(wrk)
[ -n "$(nginx_bin)" ] || missing+=(nginx-light)
if [ ${#missing[@]} -gt 0 ]; then
  as_root=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "bench-http: need ${missing[*]}: run as root or install them" >&2; exit 1; }
    as_root=(sudo)
  fi
  echo "bench-http: installing ${missing[*]} with apt-get" >&2
  "${as_root[@]}" apt-get update -qq
  # Some releases only have "nginx" (nginx-light became a transitional package).
  if [[ " ${missing[*]} " == *" nginx-light "* ]] && ! apt-cache show nginx-light >/dev/null 2>&1; then
    missing=("${missing[@]/nginx-light/nginx}")
  fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
nginx=$(nginx_bin)
[ -n "$nginx" ] || { echo "bench-http: nginx not found after installing it" >&2; exit 1; }

# --- start both servers -------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-http.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# nginx's workers drop to "nobody" when started as root: they must read the file.
chmod 755 "$tmp"
mkdir -m 755 "$tmp/www"

go build -o "$tmp/benchserver" ./hack/benchserver
mac=7C2F80CA21E4
"$tmp/benchserver" -doc "$tmp/www/$mac.xml" -pprof 127.0.0.1:0 >"$tmp/server.url" 2>"$tmp/server.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/server.url" ] && break; sleep 0.1; done
server_url=$(head -1 "$tmp/server.url")
[ -n "$server_url" ] || { cat "$tmp/server.log" >&2; exit 1; }
chmod 644 "$tmp/www/$mac.xml"
size=$(wc -c <"$tmp/www/$mac.xml")

# A free port is not known in advance: try a few random ones.
nginx_url=
for _ in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 40000))
  cat >"$tmp/nginx.conf" <<EOF
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 120s;
  keepalive_requests 1000000;
  client_body_temp_path $tmp/client_body;
  proxy_temp_path $tmp/proxy;
  fastcgi_temp_path $tmp/fastcgi;
  uwsgi_temp_path $tmp/uwsgi;
  scgi_temp_path $tmp/scgi;
  types { text/xml xml; }
  charset ISO-8859-1;
  charset_types text/xml;
  server {
    listen 127.0.0.1:$port;
    root $tmp/www;
    add_header Cache-Control no-store;
  }
}
EOF
  "$nginx" -p "$tmp" -e "$tmp/nginx-error.log" -c "$tmp/nginx.conf" -g 'daemon off;' 2>>"$tmp/nginx-error.log" &
  pid=$!
  sleep 0.5
  if kill -0 "$pid" 2>/dev/null; then
    pids+=("$pid")
    nginx_url="http://127.0.0.1:$port/$mac.xml"
    break
  fi
  wait "$pid" 2>/dev/null || true
done
[ -n "$nginx_url" ] || { echo "bench-http: nginx did not start:" >&2; cat "$tmp/nginx-error.log" >&2; exit 1; }

# Both must answer 200 with the same bytes.
if command -v curl >/dev/null; then
  for u in "$server_url" "$nginx_url"; do
    curl -fsS -o "$tmp/check" "$u"
    cmp -s "$tmp/check" "$tmp/www/$mac.xml" || { echo "bench-http: $u serves other bytes" >&2; exit 1; }
  done
fi

# --- measure ------------------------------------------------------------------------
# run NAME URL DURATION: one wrk run, its output kept in $tmp/NAME. A response other
# than 200 is a failure; socket errors (timeouts on a loaded machine) are reported.
run() {
  wrk -t"$threads" -c"$conns" -d"$3" --latency "$2" >"$tmp/$1" 2>&1 || { cat "$tmp/$1" >&2; exit 1; }
  if grep -q 'Non-2xx' "$tmp/$1"; then
    echo "bench-http: $1: responses other than 200:" >&2
    cat "$tmp/$1" >&2
    exit 1
  fi
}
errors() { sed -n 's/^ *Socket errors: /socket errors: /p' "$tmp/$1"; }
rps() { awk '/^Requests\/sec:/ { print $2 }' "$tmp/$1"; }
# p99 in milliseconds (wrk prints us, ms or s).
p99() {
  awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
    f = (u == "us") ? 0.001 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1; printf "%.2f\n", v * f }' "$tmp/$1"
}
# bytes read per request, to be sure both served the whole file.
per_request() {
  awk '/requests in/ { n = $1; v = $5; u = v; sub(/[0-9.]+/, "", u); sub(/[A-Z]+$/, "", v);
    f = (u == "KB") ? 1024 : (u == "MB") ? 1048576 : (u == "GB") ? 1073741824 : 1; printf "%.0f\n", v * f / n }' "$tmp/$1"
}

load() { cut -d' ' -f1-3 /proc/loadavg; }
printf 'file: %d bytes; wrk -t%d -c%d -d%s --latency; %s rounds (server, then nginx); %d CPUs\n' \
  "$size" "$threads" "$conns" "$duration" "$rounds" "$(nproc)"
printf 'load average before: %s\n' "$(load)"
run warm-server "$server_url" "$warmup"
run warm-nginx "$nginx_url" "$warmup"

printf '\n%-7s %-7s %12s %10s %12s  %s\n' round target "req/s" "p99 ms" "bytes/req" "load avg after (1 5 15)"
for r in $(seq "$rounds"); do
  for t in server nginx; do
    url=$server_url
    [ "$t" = nginx ] && url=$nginx_url
    run "$t-$r" "$url" "$duration"
    printf '%-7s %-7s %12s %10s %12s  %s  %s\n' "$r" "$t" "$(rps "$t-$r")" "$(p99 "$t-$r")" \
      "$(per_request "$t-$r")" "$(load)" "$(errors "$t-$r")"
  done
done

mean() { # mean FUNC TARGET
  local f=$1 t=$2 r
  for r in $(seq "$rounds"); do "$f" "$t-$r"; done | awk '{ s += $1 } END { printf "%.2f\n", s / NR }'
}
srv_rps=$(mean rps server) ngx_rps=$(mean rps nginx)
printf '\n%-14s %12s %10s\n' "mean of $rounds" "req/s" "p99 ms"
printf '%-14s %12.0f %10s\n' server "$srv_rps" "$(mean p99 server)"
printf '%-14s %12.0f %10s\n' nginx "$ngx_rps" "$(mean p99 nginx)"
awk -v s="$srv_rps" -v n="$ngx_rps" 'BEGIN { printf "ratio server/nginx: %.2f (target >= 0.80)\n", s / n }'
printf 'load average after: %s\n' "$(load)"

if [ "${BENCH_HTTP_PROFILE:-}" = 1 ]; then
  pprof_addr=$(sed -n 's|^benchserver: pprof on http://\([^/]*\)/.*|\1|p' "$tmp/server.log")
  printf '\nCPU profile of the server under the same load (8 s):\n'
  wrk -t"$threads" -c"$conns" -d12s "$server_url" >/dev/null &
  wrkpid=$!
  pids+=("$wrkpid")
  sleep 2
  go tool pprof -top -nodecount=40 -seconds 8 "$tmp/benchserver" "http://$pprof_addr/debug/pprof/profile" 2>/dev/null | head -50
  wait "$wrkpid" || true
fi
