#!/usr/bin/env bash
# Installs and starts the system parts the project needs, only when they are missing.
# Arguments name the parts: spatialite, postgis, redis, chromium.
# Fails loudly, naming the part, when one cannot be provided.
set -euo pipefail

apt_updated=0
apt_install() {
  if ! command -v apt-get >/dev/null; then
    echo "system-deps: cannot install $* (no apt-get); install it by hand" >&2
    exit 1
  fi
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  echo "system-deps: installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_url="${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"
pg_url_plain="${pg_url/+psycopg/}"
redis_url="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"

is_local() { [[ "$1" == *"@127.0.0.1"* || "$1" == *"@localhost"* || "$1" == *"://127.0.0.1"* || "$1" == *"://localhost"* ]]; }

ensure_spatialite() {
  if ! ls /usr/lib/*/mod_spatialite.so >/dev/null 2>&1 && ! ls /usr/lib/mod_spatialite.so >/dev/null 2>&1; then
    apt_install libsqlite3-mod-spatialite
  fi
}

ensure_postgresql_running() {
  if ! command -v pg_lsclusters >/dev/null; then
    apt_install postgresql
  fi
  if ! pg_lsclusters -h | awk '{print $4}' | grep -q online; then
    local version
    version=$(pg_lsclusters -h | awk 'NR==1{print $1}')
    if [ -z "$version" ]; then
      echo "system-deps: PostgreSQL is installed but has no cluster" >&2
      exit 1
    fi
    echo "system-deps: starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
  fi
}

ensure_postgis() {
  if is_local "$pg_url"; then
    ensure_postgresql_running
  fi
  for _ in $(seq 1 30); do
    psql "$pg_url_plain" -tAc "SELECT 1" >/dev/null 2>&1 && break
    sleep 1
  done
  if ! psql "$pg_url_plain" -tAc "SELECT 1" >/dev/null 2>&1; then
    echo "system-deps: PostgreSQL at $pg_url_plain is not reachable" >&2
    exit 1
  fi
  available=$(psql "$pg_url_plain" -tAc "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")
  if [ "$available" != "1" ]; then
    if ! is_local "$pg_url"; then
      echo "system-deps: PostGIS is not available on $pg_url_plain" >&2
      exit 1
    fi
    major=$(psql "$pg_url_plain" -tAc "SHOW server_version_num" | cut -c1-2)
    apt_install "postgresql-${major}-postgis-3"
  fi
}

ensure_redis() {
  if redis-cli -u "$redis_url" ping >/dev/null 2>&1; then
    return
  fi
  if ! is_local "$redis_url"; then
    echo "system-deps: Redis at $redis_url is not reachable" >&2
    exit 1
  fi
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p /var/lib/redis /var/log/redis
  echo "system-deps: starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 20); do
    redis-cli -u "$redis_url" ping >/dev/null 2>&1 && return
    sleep 0.5
  done
  echo "system-deps: Redis did not start" >&2
  exit 1
}

ensure_chromium() {
  command -v chromium >/dev/null || apt_install chromium
  # Chinese glyphs for the dashboard screenshots the browser test saves.
  ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc >/dev/null 2>&1 || apt_install fonts-noto-cjk
}

for part in "$@"; do
  case "$part" in
    spatialite) ensure_spatialite ;;
    postgis) ensure_postgis ;;
    redis) ensure_redis ;;
    chromium) ensure_chromium ;;
    *) echo "system-deps: unknown part $part" >&2; exit 2 ;;
  esac
done
