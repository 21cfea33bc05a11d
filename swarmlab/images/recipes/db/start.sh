#!/bin/sh
# PID 1 of a db task. Logs each start into /data (so a volume's history is visible), takes
# its password from $DB_PASSWORD_FILE (a Docker secret) or $DB_PASSWORD, keeps only a hash.
mkdir -p /data
me=$(hostname)
echo "$(date -u '+%Y-%m-%dT%H:%M:%SZ') started $me" >> /data/starts.log
if [ -n "${DB_PASSWORD_FILE:-}" ]; then
  if [ ! -s "$DB_PASSWORD_FILE" ]; then
    echo "db: DB_PASSWORD_FILE=$DB_PASSWORD_FILE is missing or empty" >&2
    exit 1
  fi
  pw=$(cat "$DB_PASSWORD_FILE")
  source="file $DB_PASSWORD_FILE"
elif [ -n "${DB_PASSWORD:-}" ]; then
  pw=$DB_PASSWORD
  source="environment variable DB_PASSWORD"
else
  pw=""
  source="none (anyone may read)"
fi
# Where the password came from (never the password itself), for `docker exec` and checks.
echo "$source" > /etc/db/password-source
: > /etc/db/httpd.conf
[ -n "$pw" ] && echo "/:${DB_USER}:$(httpd -m "$pw")" > /etc/db/httpd.conf
unset pw DB_PASSWORD
echo "db on $me: records in /data, port ${PORT}, password: $source"
httpd -f -p "${PORT}" -h /data -c /etc/db/httpd.conf -r db &
pid=$!
trap 'kill "$pid" 2>/dev/null; exit 0' TERM INT
wait "$pid"
